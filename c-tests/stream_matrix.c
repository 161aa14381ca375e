/* stream_matrix.c - what is written through a property stream is saved by its object's
   SaveChanges, whatever the order of IStream::Commit, SaveChanges and Release (issue 12).

   Each cell is checked byte for byte after its file is reopened with a fresh
   StgOpenStorage + OpenIMsgOnIStg. Dimensions:
     object  the message's PR_BODY_W, the message's PR_RTF_COMPRESSED (just bytes here),
             an attachment's PR_ATTACH_DATA_BIN, an embedded message's PR_BODY_W;
     size    10 bytes, 100 KiB, 2 MiB;
     how     IStream::Write; IStream::CopyTo from an OpenStreamOnFile stream; a longer
             Write (read back through GetProps while open), then IStream::SetSize shrinking;
     commit  IStream::Commit called or not;
     release the stream released before its object's SaveChanges, right after it, or last
             (after the outer message's SaveChanges, IStorage::Commit and the Release of
             every other object: the stream then holds the last reference);
     order   saves from the inside out (embedded message, its attachment, the message), or
             the outer objects (the embedded message's attachment, the message) saved once
             before that too, while the streams are written but not saved.
   4 x 3 x 3 x 2 x 3 x 2 = 432 cells. The four objects of one size, way, Commit, release
   point and order share a file (108 files): every commit writes and syncs a whole file.
   The attachment's and the embedded message's own properties are checked too, a named
   property whose name was first created through the embedded message, a recipient added to
   the embedded message with ModifyRecipients, and two tables (the embedded message's
   recipients, the message's attachments) held open across the saves and released last.
   Then 12 cells (Commit x release point x order) for the storage of an OLE attachment,
   OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage), and 10 cells where the object that
   would publish new content is released without SaveChanges (message, attachment,
   embedded message, the embedded message's attachment, OLE attachment x stream released
   before the object or last): the old content must stay. 454 cells in all.
   IMSG_MATRIX_MAX_BYTES=N leaves out the sizes above N bytes (CI's valgrind run sets
   102400: its 2 MiB cells cost valgrind about a minute; they run natively and under the
   sanitizers). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

enum object { BODY, RTF, ATTACH, EMBED, OBJECTS };
enum how { WRITE, COPYTO, SHRINK, HOWS };
enum release { BEFORE_SAVE, AFTER_SAVE, LAST, RELEASES };
enum order { INSIDE_OUT, OUTER_EARLY, ORDERS };

static const char *const object_names[OBJECTS] = {"PR_BODY_W", "PR_RTF_COMPRESSED", "PR_ATTACH_DATA_BIN",
                                                  "embedded PR_BODY_W"};
static const char *const how_names[HOWS] = {"Write", "CopyTo", "SetSize"};
static const char *const release_names[RELEASES] = {"before its save", "after its save", "last"};
static const char *const order_names[ORDERS] = {"inside out", "outer early"};
static const ULONG sizes[] = {10, 100 * 1024, 2 * 1024 * 1024};
#define SIZES (sizeof(sizes) / sizeof(sizes[0]))

static LPMSGSESS sess;
static int cells, files, failed_cells, skipped_cells;

/* The content of a cell: a period-65521 (prime, so no 64 KiB block lines up with
   another) run of pseudo-random bytes starting at an offset derived from the cell. For
   PT_UNICODE it is UTF-16LE code units from U+0020 to U+D7FE (no NUL, no surrogate), so
   the value is a valid string. */
#define PERIOD 65521
static BYTE table[2][2 * PERIOD];

static void make_tables(void)
{
    unsigned long x = 88172645u;
    ULONG i, unit;
    for (i = 0; i < PERIOD; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x &= 0xFFFFFFFFu;
        table[0][i] = (BYTE)(x >> 11);
        unit = 0x20 + (ULONG)(x % (0xD7FF - 0x20));
        table[1][2 * i] = (BYTE)unit;
        table[1][2 * i + 1] = (BYTE)(unit >> 8);
    }
}

/* `n` bytes of the content of cell `seed` from byte `offset`. */
static void fill(BYTE *buf, ULONG offset, ULONG n, unsigned seed, int unicode)
{
    ULONG period = unicode ? 2 * PERIOD : PERIOD, at, piece;
    at = (offset + (unicode ? 2 * (seed * 7919u % PERIOD) : seed * 7919u % PERIOD)) % period;
    while (n > 0) {
        piece = period - at < n ? period - at : n;
        memcpy(buf, table[unicode] + at, piece);
        buf += piece;
        n -= piece;
        at = 0;
    }
}

static BYTE chunk[65536];

/* Writes `size` bytes of the pattern, in uneven pieces. */
static void write_pattern(IStream *s, ULONG size, unsigned seed, int unicode)
{
    ULONG done = 0;
    while (done < size) {
        ULONG n = size - done < 65522 ? size - done : 65522, written = 0;
        fill(chunk, done, n, seed, unicode);
        CHECK_OK(s->lpVtbl->Write(s, chunk, n, &written));
        CHECK(written == n);
        if (written != n)
            return;
        done += n;
    }
}

/* Whether the stream holds exactly `size` bytes of the pattern, read from the start. */
static int stream_is(IStream *s, ULONG size, unsigned seed, int unicode)
{
    static BYTE want[65536];
    ULONG done = 0, got = 0;
    STATSTG st;
    int same = 1;
    CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_NONAME));
    if (st.cbSize.QuadPart != size) {
        fprintf(stderr, "  size %llu, expected %lu\n", (unsigned long long)st.cbSize.QuadPart,
                (unsigned long)size);
        same = 0;
    }
    for (;;) {
        CHECK_OK(s->lpVtbl->Read(s, chunk, sizeof(chunk), &got));
        if (got == 0)
            break;
        fill(want, done, got, seed, unicode);
        if (done + got > size || memcmp(chunk, want, got) != 0)
            same = 0;
        done += got;
    }
    return same && done == size;
}

/* Writes `size` bytes of the pattern to a plain file, for CopyTo. */
static int write_source(const char *path, ULONG size, unsigned seed, int unicode)
{
    FILE *f = fopen(path, "wb");
    ULONG done = 0;
    if (!f)
        return 0;
    while (done < size) {
        ULONG n = size - done < sizeof(chunk) ? size - done : (ULONG)sizeof(chunk);
        fill(chunk, done, n, seed, unicode);
        if (fwrite(chunk, 1, n, f) != n)
            break;
        done += n;
    }
    return fclose(f) == 0 && done == size;
}

static void set_long(LPMAPIPROP obj, ULONG tag, LONG value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.l = value;
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, NULL));
}

static void set_string(LPMAPIPROP obj, ULONG tag, const char *value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.lpszW = W(value);
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, NULL));
}

static int string_is(LPMAPIPROP obj, ULONG tag, const char *want)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = NULL;
    ULONG n = 0;
    int same;
    obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, 0, &n, &v);
    same = v && v[0].ulPropTag == tag && wide_eq(v[0].Value.lpszW, want);
    MAPIFreeBuffer(v);
    return same;
}

/* GetProps on the object while the stream is open answers what the stream holds (a value
   past GetProps' 1 MiB limit comes back as MAPI_E_NOT_ENOUGH_MEMORY). */
static int get_props_is(LPMAPIPROP obj, ULONG tag, ULONG size, unsigned seed, int unicode)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = NULL;
    ULONG n = 0, i, len = 0;
    const BYTE *bytes = NULL;
    int same = 0;
    obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, 0, &n, &v);
    if (!v)
        return 0;
    if (size > 1024 * 1024) {
        same = v[0].ulPropTag == PROP_TAG(PT_ERROR, PROP_ID(tag)) && v[0].Value.err == MAPI_E_NOT_ENOUGH_MEMORY;
    } else if (v[0].ulPropTag == tag) {
        if (unicode) {
            while (v[0].Value.lpszW[len])
                len++;
            len *= 2;
            bytes = (const BYTE *)v[0].Value.lpszW;
        } else {
            len = v[0].Value.bin.cb;
            bytes = v[0].Value.bin.lpb;
        }
        same = len == size;
        for (i = 0; same && i < len; i += n) {
            n = len - i < sizeof(chunk) ? len - i : (ULONG)sizeof(chunk);
            fill(chunk, i, n, seed, unicode);
            same = memcmp(bytes + i, chunk, n) == 0;
        }
    }
    MAPIFreeBuffer(v);
    return same;
}

static void save(LPMAPIPROP obj, ULONG flags)
{
    if (obj)
        CHECK_OK(obj->lpVtbl->SaveChanges(obj, flags));
}

static void release(void *p)
{
    if (p)
        ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
}

/* The tag of the string name `name` in PS_PUBLIC_STRINGS on `obj` (created when `flags` has
   MAPI_CREATE), as PT_LONG; 0 when there is none. */
static ULONG named_long(LPMAPIPROP obj, const char *name, ULONG flags)
{
    MAPINAMEID id, *ids = &id;
    LPSPropTagArray tags = NULL;
    ULONG tag = 0;
    id.lpguid = (LPGUID)&PS_PUBLIC_STRINGS;
    id.ulKind = MNID_STRING;
    id.Kind.lpwstrName = W(name);
    obj->lpVtbl->GetIDsFromNames(obj, 1, &ids, flags, &tags);
    if (tags && tags->cValues == 1 && PROP_TYPE(tags->aulPropTag[0]) != PT_ERROR)
        tag = CHANGE_PROP_TYPE(tags->aulPropTag[0], PT_LONG);
    MAPIFreeBuffer(tags);
    return tag;
}

static LONG get_long(LPMAPIPROP obj, ULONG tag)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = NULL;
    ULONG n = 0;
    LONG value = -12345;
    obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, 0, &n, &v);
    if (v && v[0].ulPropTag == tag)
        value = v[0].Value.l;
    MAPIFreeBuffer(v);
    return value;
}

/* Adds one recipient named `name` (MAPI_TO) through ModifyRecipients(MODRECIP_ADD). */
static void add_recipient(LPMESSAGE msg, const char *name)
{
    SizedADRLIST(1, list);
    SPropValue v[2];
    v[0].ulPropTag = PR_DISPLAY_NAME_W;
    v[0].Value.lpszW = W(name);
    v[1].ulPropTag = PR_RECIPIENT_TYPE;
    v[1].Value.l = MAPI_TO;
    list.cEntries = 1;
    list.aEntries[0].ulReserved1 = 0;
    list.aEntries[0].cValues = 2;
    list.aEntries[0].rgPropVals = v;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&list));
}

/* The row count of a table, and whether its first row's PR_DISPLAY_NAME_W is `name`
   (when `name` is not NULL). Seeks to the start first: the table may have been read. */
static ULONG table_rows(LPMAPITABLE table, const char *name)
{
    SizedSPropTagArray(1, cols) = {1, {PR_DISPLAY_NAME_W}};
    LPSRowSet rows = NULL;
    ULONG count = 0, i;
    if (!table)
        return 0;
    CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &count));
    if (name) {
        CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&cols, 0));
        CHECK_OK(table->lpVtbl->SeekRow(table, BOOKMARK_BEGINNING, 0, NULL));
        CHECK_OK(table->lpVtbl->QueryRows(table, 1, 0, &rows));
        CHECK(rows && rows->cRows == 1 && rows->aRow[0].lpProps[0].ulPropTag == PR_DISPLAY_NAME_W &&
              wide_eq(rows->aRow[0].lpProps[0].Value.lpszW, name));
        for (i = 0; rows && i < rows->cRows; i++)
            MAPIFreeBuffer(rows->aRow[i].lpProps);
        MAPIFreeBuffer(rows);
    }
    return count;
}

/* Creates the file, or opens it for writing or reading, with a message on it (MAPI_UNICODE);
   returns the storage (NULL on failure) and sets *msg (NULL on failure). */
enum open_mode { CREATE, READ_WRITE, READ_ONLY };
static IStorage *open_msg(const WCHAR *wpath, LPMESSAGE *msg, enum open_mode mode)
{
    IStorage *stg = NULL;
    *msg = NULL;
    if (mode == CREATE)
        CHECK_OK(StgCreateDocfile(wpath, STGM_CREATE | STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE, 0,
                                  &stg));
    else if (mode == READ_WRITE)
        CHECK_OK(StgOpenStorage(wpath, NULL, STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE, NULL, 0, &stg));
    else
        CHECK_OK(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED | STGM_SHARE_DENY_WRITE, NULL, 0, &stg));
    if (stg)
        CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                                NULL, stg, NULL, 0, MAPI_UNICODE, msg));
    return stg;
}

/* One cell of a file: one object's stream. */
struct cell {
    enum object object;
    unsigned seed;
    int unicode;
    ULONG tag;
    LPMAPIPROP target;
    IStream *stream;
};

/* Writes the cell's content into its stream. */
static void fill_stream(struct cell *c, ULONG size, enum how how, const char *src_path)
{
    IStream *src = NULL;
    ULARGE_INTEGER all, rd, wr, shorter;
    ULONG longer = size + 1000 + size / 4;
    switch (how) {
    case WRITE:
        write_pattern(c->stream, size, c->seed, c->unicode);
        break;
    case COPYTO:
        CHECK(write_source(src_path, size, c->seed, c->unicode));
        CHECK_OK(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_READ, (LPSTR)src_path, NULL, &src));
        if (src) {
            all.QuadPart = (ULONGLONG)-1;
            CHECK_OK(src->lpVtbl->CopyTo(src, c->stream, all, &rd, &wr));
            CHECK(rd.QuadPart == size && wr.QuadPart == size);
            release(src);
        }
        remove(src_path);
        break;
    case SHRINK:
        /* Longer first, seen by GetProps, then cut: the file has the short content. */
        write_pattern(c->stream, longer, c->seed, c->unicode);
        CHECK(get_props_is(c->target, c->tag, longer, c->seed, c->unicode));
        shorter.QuadPart = size;
        CHECK_OK(c->stream->lpVtbl->SetSize(c->stream, shorter));
        break;
    default:
        break;
    }
}

static void release_streams(struct cell *cells_of_file, int from, int to)
{
    int i;
    for (i = from; i < to; i++) {
        release(cells_of_file[i].stream);
        cells_of_file[i].stream = NULL;
    }
}

/* One file: a cell for each object (the message's two properties, an attachment's data, an
   embedded message's body), all with the same size, way of writing, Commit, release point
   and order of saves. Writes it, reopens it and checks every cell. */
static void file_of_cells(ULONG size, enum how how, int commit, enum release rel, enum order order)
{
    struct cell c[OBJECTS];
    char path[256], src_path[256], name[32], subject[32];
    WCHAR wpath[256];
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL, emb = NULL;
    LPATTACH att = NULL, att_emb = NULL;
    LPMAPITABLE recipients = NULL, attachments = NULL;
    ULONG num = 0, num_emb = 0, named;
    int i, failures_before = check_failures, failed_here = 0;

    snprintf(name, sizeof(name), "file%03d.bin", files);
    snprintf(subject, sizeof(subject), "inner %03d", files);
    test_path("cells.msg", path, wpath);
    test_path("source.bin", src_path, NULL);
    for (i = 0; i < OBJECTS; i++) {
        c[i].object = (enum object)i;
        c[i].seed = (unsigned)(files * OBJECTS + i);
        c[i].unicode = i == BODY || i == EMBED;
        c[i].tag = i == RTF ? PR_RTF_COMPRESSED : i == ATTACH ? PR_ATTACH_DATA_BIN : PR_BODY_W;
        c[i].target = NULL;
        c[i].stream = NULL;
    }
    files++;

    /* ----- write ----- */
    stg = open_msg(wpath, &msg, CREATE);
    if (!stg)
        return;
    if (!msg) {
        release(stg);
        return;
    }
    set_string((LPMAPIPROP)msg, PR_SUBJECT_W, "outer");
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num_emb, &att_emb));
    if (!att || !att_emb)
        goto done;
    set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
    set_string((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, name);
    set_long((LPMAPIPROP)att_emb, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
    CHECK_OK(att_emb->lpVtbl->OpenProperty(att_emb, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&emb));
    if (!emb)
        goto done;
    set_string((LPMAPIPROP)emb, PR_SUBJECT_W, subject);
    c[BODY].target = c[RTF].target = (LPMAPIPROP)msg;
    c[ATTACH].target = (LPMAPIPROP)att;
    c[EMBED].target = (LPMAPIPROP)emb;
    for (i = 0; i < OBJECTS; i++) {
        CHECK_OK(c[i].target->lpVtbl->OpenProperty(c[i].target, c[i].tag, &IID_IStream, STGM_WRITE,
                                                   MAPI_MODIFY | MAPI_CREATE, (LPUNKNOWN *)&c[i].stream));
        if (!c[i].stream)
            goto done;
        fill_stream(&c[i], size, how, src_path);
        if (commit)
            CHECK_OK(c[i].stream->lpVtbl->Commit(c[i].stream, STGC_DEFAULT));
    }
    if (rel == BEFORE_SAVE)
        release_streams(c, 0, OBJECTS);
    /* A name first created through the embedded message: the map is the file's, written
       by the top-level message's save. */
    named = named_long((LPMAPIPROP)emb, subject, MAPI_CREATE);
    CHECK(named != 0);
    if (named)
        set_long((LPMAPIPROP)emb, named, files);
    /* A recipient of the embedded message (pending in it until its save), and two tables
       held open across every save and released last: they hold no pending state and must
       neither keep a save from happening nor lose anything. */
    add_recipient(emb, subject);
    CHECK_OK(emb->lpVtbl->GetRecipientTable(emb, MAPI_UNICODE, &recipients));
    CHECK_OK(msg->lpVtbl->GetAttachmentTable(msg, 0, &attachments));

    /* ----- saves, from the inside out (the outer ones once before too, for OUTER_EARLY) ----- */
    if (order == OUTER_EARLY) {
        save((LPMAPIPROP)att_emb, KEEP_OPEN_READWRITE);
        save((LPMAPIPROP)msg, KEEP_OPEN_READWRITE);
    }
    save((LPMAPIPROP)emb, 0);
    if (rel == AFTER_SAVE)
        release_streams(c, EMBED, EMBED + 1);
    save((LPMAPIPROP)att_emb, 0);
    save((LPMAPIPROP)att, 0);
    if (rel == AFTER_SAVE)
        release_streams(c, ATTACH, ATTACH + 1);
    save((LPMAPIPROP)msg, KEEP_OPEN_READWRITE);
    if (rel == AFTER_SAVE)
        release_streams(c, BODY, RTF + 1);
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    CHECK(table_rows(recipients, subject) == 1);
    CHECK(table_rows(attachments, NULL) == 2);

done:
    /* LAST: everything else first; each stream keeps its object alive. */
    release(emb);
    release(att_emb);
    release(att);
    release(msg);
    release(stg);
    release_streams(c, 0, OBJECTS);
    release(recipients);
    release(attachments);
    recipients = attachments = NULL;

    /* ----- check ----- */
    att = att_emb = NULL;
    emb = NULL;
    stg = open_msg(wpath, &msg, READ_ONLY);
    if (msg) {
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, num, NULL, 0, &att));
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, num_emb, NULL, 0, &att_emb));
        CHECK(string_is((LPMAPIPROP)msg, PR_SUBJECT_W, "outer"));
    }
    if (att)
        CHECK(string_is((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, name));
    if (att_emb)
        CHECK_OK(att_emb->lpVtbl->OpenProperty(att_emb, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&emb));
    if (emb) {
        CHECK(string_is((LPMAPIPROP)emb, PR_SUBJECT_W, subject));
        named = named_long((LPMAPIPROP)emb, subject, 0);
        CHECK(named != 0 && get_long((LPMAPIPROP)emb, named) == files);
        CHECK_OK(emb->lpVtbl->GetRecipientTable(emb, MAPI_UNICODE, &recipients));
        CHECK(table_rows(recipients, subject) == 1);
        release(recipients);
    }
    c[BODY].target = c[RTF].target = (LPMAPIPROP)msg;
    c[ATTACH].target = (LPMAPIPROP)att;
    c[EMBED].target = (LPMAPIPROP)emb;
    for (i = 0; i < OBJECTS; i++) {
        int before = check_failures;
        IStream *stream = NULL;
        cells++;
        if (c[i].target)
            CHECK_OK(c[i].target->lpVtbl->OpenProperty(c[i].target, c[i].tag, &IID_IStream, STGM_READ, 0,
                                                       (LPUNKNOWN *)&stream));
        CHECK(stream && stream_is(stream, size, c[i].seed, c[i].unicode));
        release(stream);
        if (check_failures != before) {
            failed_cells++;
            failed_here++;
            fprintf(stderr, "  ^ %s, %lu bytes, %s, %s, stream released %s, saves %s\n", object_names[i],
                    (unsigned long)size, how_names[how], commit ? "Commit" : "no Commit", release_names[rel],
                    order_names[order]);
        }
    }
    if (check_failures != failures_before && failed_here == 0)
        fprintf(stderr, "  ^ file %d: %lu bytes, %s, %s, stream released %s, saves %s\n", files,
                (unsigned long)size, how_names[how], commit ? "Commit" : "no Commit", release_names[rel],
                order_names[order]);
    release(emb);
    release(att_emb);
    release(att);
    release(msg);
    release(stg);
    remove(path);
}

/* The storage of an OLE attachment (OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)): what
   the caller wrote into it is saved by the attachment's SaveChanges, committed or not,
   whatever the order of releases. One cell per Commit, release point and order. */
static void ole_cell(int commit, enum release rel, enum order order)
{
    char path[256];
    WCHAR wpath[256];
    IStorage *stg = NULL, *ole = NULL;
    IStream *contents = NULL;
    LPMESSAGE msg = NULL;
    LPATTACH att = NULL;
    ULONG num = 0, size = 5000 + (ULONG)cells;
    unsigned seed = (unsigned)(1000 + cells);
    int before = check_failures;

    cells++;
    test_path("ole.msg", path, wpath);
    stg = open_msg(wpath, &msg, CREATE);
    if (msg)
        CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_OLE);
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&ole));
    }
    if (ole) {
        CHECK_OK(ole->lpVtbl->CreateStream(ole, W("CONTENTS"), STGM_CREATE | STGM_READWRITE | STGM_SHARE_EXCLUSIVE, 0,
                                           0, &contents));
        if (contents)
            write_pattern(contents, size, seed, 0);
        release(contents);
        if (commit)
            CHECK_OK(ole->lpVtbl->Commit(ole, STGC_DEFAULT));
        if (rel == BEFORE_SAVE) {
            release(ole);
            ole = NULL;
        }
        if (order == OUTER_EARLY)
            save((LPMAPIPROP)msg, KEEP_OPEN_READWRITE);
        save((LPMAPIPROP)att, 0);
        if (rel == AFTER_SAVE) {
            release(ole);
            ole = NULL;
        }
        save((LPMAPIPROP)msg, KEEP_OPEN_READWRITE);
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    }
    release(att);
    release(msg);
    release(stg);
    release(ole);

    ole = NULL;
    att = NULL;
    contents = NULL;
    stg = open_msg(wpath, &msg, READ_ONLY);
    if (msg)
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, num, NULL, 0, &att));
    if (att)
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0, (LPUNKNOWN *)&ole));
    if (ole)
        CHECK_OK(ole->lpVtbl->OpenStream(ole, W("CONTENTS"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &contents));
    CHECK(contents && stream_is(contents, size, seed, 0));
    release(contents);
    release(ole);
    release(att);
    release(msg);
    release(stg);
    remove(path);
    if (check_failures != before) {
        failed_cells++;
        fprintf(stderr, "  ^ OLE storage, %s, released %s, saves %s\n", commit ? "Commit" : "no Commit",
                release_names[rel], order_names[order]);
    }
}

/* Releasing an object without its SaveChanges discards what was written into it, as every
   other unsaved change, whether the stream (or OLE storage) is released before the object
   or last (it then holds the object's last reference: its Release must not save). A file
   is written with old content everywhere; it is reopened for writing, one object gets new
   content, the object that should publish it is released without SaveChanges, the outer
   message is saved (but for the message itself), and the reopened file must hold the old
   content everywhere. */
enum discard { D_BODY, D_ATTACH, D_EMBED, D_EMBED_ATTACH, D_OLE, DISCARDS };
static const char *const discard_names[DISCARDS] = {
    "message PR_BODY_W, message not saved", "attachment data, attachment not saved",
    "embedded PR_BODY_W, embedded message not saved",
    "embedded PR_BODY_W saved, its attachment not saved", "OLE storage, attachment not saved"};
#define OLD_SIZE 1000
#define NEW_SIZE (100 * 1024)
#define OLD_SEED 7001
#define NEW_SEED 7002

static IStream *open_stream(LPMAPIPROP obj, ULONG tag, int modify)
{
    IStream *s = NULL;
    if (obj)
        CHECK_OK(obj->lpVtbl->OpenProperty(obj, tag, &IID_IStream, modify ? STGM_WRITE : STGM_READ,
                                           modify ? MAPI_MODIFY | MAPI_CREATE : 0, (LPUNKNOWN *)&s));
    return s;
}

static IStream *ole_contents(IStorage *ole, int create)
{
    IStream *s = NULL;
    if (!ole)
        return NULL;
    if (create)
        CHECK_OK(ole->lpVtbl->CreateStream(ole, W("CONTENTS"), STGM_CREATE | STGM_READWRITE | STGM_SHARE_EXCLUSIVE, 0,
                                           0, &s));
    else
        CHECK_OK(ole->lpVtbl->OpenStream(ole, W("CONTENTS"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
    return s;
}

/* Attachment 0: by value; 1: an embedded message; 2: OLE. */
static void discard_base(const WCHAR *wpath)
{
    LPMESSAGE msg = NULL, emb = NULL;
    LPATTACH att[3] = {NULL, NULL, NULL};
    IStorage *stg = open_msg(wpath, &msg, CREATE), *ole = NULL;
    IStream *s;
    ULONG num, i;
    const LONG methods[3] = {ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, ATTACH_OLE};
    if (!msg) {
        release(stg);
        return;
    }
    set_string((LPMAPIPROP)msg, PR_SUBJECT_W, "kept");
    s = open_stream((LPMAPIPROP)msg, PR_BODY_W, 1);
    if (s)
        write_pattern(s, OLD_SIZE, OLD_SEED, 1);
    release(s);
    for (i = 0; i < 3; i++) {
        CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att[i]));
        CHECK(num == i);
        if (att[i])
            set_long((LPMAPIPROP)att[i], PR_ATTACH_METHOD, methods[i]);
    }
    s = open_stream((LPMAPIPROP)att[0], PR_ATTACH_DATA_BIN, 1);
    if (s)
        write_pattern(s, OLD_SIZE, OLD_SEED, 0);
    release(s);
    if (att[1])
        CHECK_OK(att[1]->lpVtbl->OpenProperty(att[1], PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                              (LPUNKNOWN *)&emb));
    s = open_stream((LPMAPIPROP)emb, PR_BODY_W, 1);
    if (s)
        write_pattern(s, OLD_SIZE, OLD_SEED, 1);
    release(s);
    save((LPMAPIPROP)emb, 0);
    release(emb);
    if (att[2])
        CHECK_OK(att[2]->lpVtbl->OpenProperty(att[2], PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, MAPI_CREATE | MAPI_MODIFY,
                                              (LPUNKNOWN *)&ole));
    s = ole_contents(ole, 1);
    if (s)
        write_pattern(s, OLD_SIZE, OLD_SEED, 0);
    release(s);
    release(ole);
    for (i = 0; i < 3; i++) {
        save((LPMAPIPROP)att[i], 0);
        release(att[i]);
    }
    save((LPMAPIPROP)msg, 0);
    release(msg);
    release(stg);
}

static void discard_cell(enum discard what, int stream_last)
{
    char path[256];
    WCHAR wpath[256];
    LPMESSAGE msg = NULL, emb = NULL;
    LPATTACH att = NULL;
    IStorage *stg, *ole = NULL;
    IStream *s = NULL, *check = NULL;
    int before = check_failures, i;

    cells++;
    test_path("discard.msg", path, wpath);
    discard_base(wpath);
    stg = open_msg(wpath, &msg, READ_WRITE);
    if (!msg)
        goto checks;
    if (what != D_BODY)
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, what == D_ATTACH ? 0 : what == D_OLE ? 2 : 1, NULL, MAPI_MODIFY, &att));
    switch (what) {
    case D_BODY:
        s = open_stream((LPMAPIPROP)msg, PR_BODY_W, 1);
        break;
    case D_ATTACH:
        s = open_stream((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, 1);
        break;
    case D_EMBED:
    case D_EMBED_ATTACH:
        if (att)
            CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_MODIFY,
                                               (LPUNKNOWN *)&emb));
        s = open_stream((LPMAPIPROP)emb, PR_BODY_W, 1);
        break;
    case D_OLE:
        if (att)
            CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, MAPI_MODIFY,
                                               (LPUNKNOWN *)&ole));
        s = ole_contents(ole, 1);
        break;
    default:
        break;
    }
    CHECK(s != NULL);
    if (s)
        write_pattern(s, NEW_SIZE, NEW_SEED, what != D_ATTACH && what != D_OLE);
    if (what == D_OLE) {
        /* The storage is the OLE cell's "stream"; its CONTENTS stream goes now. */
        release(s);
        s = (IStream *)ole;
        ole = NULL;
    }
    if (what == D_EMBED_ATTACH)
        save((LPMAPIPROP)emb, 0);
    if (!stream_last) {
        release(s);
        s = NULL;
    }
    /* The object that would publish the change goes without SaveChanges. */
    release(emb);
    emb = NULL;
    release(att);
    att = NULL;
    if (what != D_BODY) {
        save((LPMAPIPROP)msg, KEEP_OPEN_READWRITE);
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    }
    release(msg);
    msg = NULL;
    release(stg);
    release(s);

checks:
    stg = open_msg(wpath, &msg, READ_ONLY);
    if (msg) {
        CHECK(string_is((LPMAPIPROP)msg, PR_SUBJECT_W, "kept"));
        check = open_stream((LPMAPIPROP)msg, PR_BODY_W, 0);
        CHECK(check && stream_is(check, OLD_SIZE, OLD_SEED, 1));
        release(check);
        for (i = 0; i < 3; i++) {
            att = NULL;
            CHECK_OK(msg->lpVtbl->OpenAttach(msg, (ULONG)i, NULL, 0, &att));
            if (!att)
                continue;
            check = NULL;
            if (i == 0) {
                check = open_stream((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, 0);
                CHECK(check && stream_is(check, OLD_SIZE, OLD_SEED, 0));
            } else if (i == 1) {
                emb = NULL;
                CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&emb));
                check = open_stream((LPMAPIPROP)emb, PR_BODY_W, 0);
                CHECK(check && stream_is(check, OLD_SIZE, OLD_SEED, 1));
                release(emb);
            } else {
                ole = NULL;
                CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0, (LPUNKNOWN *)&ole));
                check = ole_contents(ole, 0);
                CHECK(check && stream_is(check, OLD_SIZE, OLD_SEED, 0));
                release(ole);
            }
            release(check);
            release(att);
        }
    }
    release(msg);
    release(stg);
    remove(path);
    if (check_failures != before) {
        failed_cells++;
        fprintf(stderr, "  ^ discarded: %s, stream released %s\n", discard_names[what],
                stream_last ? "last" : "before the object");
    }
}

int main(void)
{
    int how, commit, rel, order, i;
    size_t size;
    unsigned long max_bytes = (unsigned long)-1;

    if (!test_dir_create("imsg-streams")) {
        perror("mkdtemp");
        return 1;
    }
    make_tables();
    if (getenv("IMSG_MATRIX_MAX_BYTES"))
        max_bytes = strtoul(getenv("IMSG_MATRIX_MAX_BYTES"), NULL, 10);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    for (size = 0; size < SIZES; size++) {
        if (sizes[size] > max_bytes) {
            skipped_cells += OBJECTS * HOWS * 2 * RELEASES * ORDERS;
            continue;
        }
        for (how = 0; how < HOWS; how++)
            for (commit = 0; commit < 2; commit++)
                for (rel = 0; rel < RELEASES; rel++)
                    for (order = 0; order < ORDERS; order++)
                        file_of_cells(sizes[size], (enum how)how, commit, (enum release)rel, (enum order)order);
    }
    for (commit = 0; commit < 2; commit++)
        for (rel = 0; rel < RELEASES; rel++)
            for (order = 0; order < ORDERS; order++)
                ole_cell(commit, (enum release)rel, (enum order)order);
    for (i = 0; i < DISCARDS; i++) {
        discard_cell((enum discard)i, 0);
        discard_cell((enum discard)i, 1);
    }
    CloseIMsgSession(sess);
    test_dir_remove();
    printf("stream_matrix: %d cells in %d files, %d failed", cells, files, failed_cells);
    if (skipped_cells)
        printf(" (%d cells over %lu bytes left out: IMSG_MATRIX_MAX_BYTES)", skipped_cells, max_bytes);
    printf("\n");
    return check_report("stream_matrix");
}
