/* attachments.c - three attachments (by value, an embedded message holding another embedded
   message, an OLE storage) created, saved, reopened and read back, then one deleted, through
   the C interface; plus the attachment table, OpenAttach's rules and the computed
   attachment properties. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"
#include "wide.h"

#define DATA_SIZE (300 * 1024 + 7) /* several chunks, not a multiple of anything */

static WCHAR msg_path[256];

static unsigned char data_byte(ULONG i, unsigned seed)
{
    return (unsigned char)((i * 2654435761u + seed) >> 13);
}

/* Writes `size` bytes of the pattern `seed` to a stream, in uneven pieces. */
static void write_pattern(IStream *s, ULONG size, unsigned seed)
{
    static unsigned char buf[70000];
    ULONG done = 0, i;
    while (done < size) {
        ULONG n = size - done < 65521 ? size - done : 65521, written = 0;
        for (i = 0; i < n; i++)
            buf[i] = data_byte(done + i, seed);
        CHECK_OK(s->lpVtbl->Write(s, buf, n, &written));
        CHECK(written == n);
        if (written != n)
            return;
        done += n;
    }
}

/* Reads the whole stream and checks it is `size` bytes of the pattern `seed`. */
static void check_pattern(IStream *s, ULONG size, unsigned seed)
{
    static unsigned char buf[65536];
    ULONG done = 0, got = 0, i, bad = 0;
    STATSTG st;
    CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_NONAME));
    CHECK(st.cbSize.QuadPart == size);
    for (;;) {
        CHECK_OK(s->lpVtbl->Read(s, buf, sizeof(buf), &got));
        if (got == 0)
            break;
        for (i = 0; i < got; i++)
            bad += buf[i] != data_byte(done + i, seed);
        done += got;
    }
    CHECK(done == size);
    CHECK(bad == 0);
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

static int has_prop(LPMAPIPROP obj, ULONG tag)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue v = NULL;
    ULONG n = 0;
    int present;
    obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, 0, &n, &v);
    present = v && v[0].ulPropTag == tag;
    MAPIFreeBuffer(v);
    return present;
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

/* A by-value attachment of `size` bytes of pattern `seed`, saved. */
static void add_file(LPMESSAGE msg, const char *name, ULONG size, unsigned seed)
{
    LPATTACH att = NULL;
    IStream *data = NULL;
    ULONG num = 0;
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (!att)
        return;
    set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
    set_string((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, name);
    CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                       (LPUNKNOWN *)&data));
    if (data) {
        write_pattern(data, size, seed);
        CHECK_OK(data->lpVtbl->Commit(data, STGC_DEFAULT));
        data->lpVtbl->Release(data);
    }
    CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
    att->lpVtbl->Release(att);
}

/* Creates an embedded message in a new attachment of `msg`; returns it open (the
   attachment is returned in `*att`). */
static LPMESSAGE add_embedded(LPMESSAGE msg, LPATTACH *att, const char *subject)
{
    LPMESSAGE inner = NULL;
    ULONG num = 0;
    *att = NULL;
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, att));
    if (!*att)
        return NULL;
    set_long((LPMAPIPROP)*att, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
    CHECK_OK((*att)->lpVtbl->OpenProperty(*att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                          (LPUNKNOWN *)&inner));
    if (inner) {
        set_string((LPMAPIPROP)inner, PR_MESSAGE_CLASS_W, "IPM.Note");
        set_string((LPMAPIPROP)inner, PR_SUBJECT_W, subject);
    }
    return inner;
}

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

static ULONG row_count(LPMESSAGE msg)
{
    LPMAPITABLE table = NULL;
    ULONG n = 0xFFFFFFFFu;
    CHECK_OK(msg->lpVtbl->GetAttachmentTable(msg, 0, &table));
    if (table) {
        CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &n));
        table->lpVtbl->Release(table);
    }
    return n;
}

static void write_file(LPMSGSESS sess)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL, inner = NULL, inner2 = NULL;
    LPATTACH att = NULL, att2 = NULL, ole_att = NULL, again = NULL;
    IStorage *ole = NULL;
    IStream *contents = NULL;
    ULONG num = 0, written = 0;

    CHECK_OK(StgCreateDocfile(msg_path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }
    set_string((LPMAPIPROP)msg, PR_SUBJECT_W, "outer");
    CHECK(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS) == MSGFLAG_UNSENT);

    /* 1: by value. A new attachment starts as NO_ATTACHMENT with its number. */
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    CHECK(num == 0);
    if (att) {
        CHECK(get_long((LPMAPIPROP)att, PR_ATTACH_METHOD) == NO_ATTACHMENT);
        CHECK(get_long((LPMAPIPROP)att, PR_ATTACH_NUM) == 0);
        CHECK(get_long((LPMAPIPROP)att, PR_OBJECT_TYPE) == MAPI_ATTACH);
        CHECK(get_long((LPMAPIPROP)att, PR_RENDERING_POSITION) == -1);
        CHECK(has_prop((LPMAPIPROP)att, PR_INSTANCE_KEY));
        CHECK(has_prop((LPMAPIPROP)att, PR_RECORD_KEY));
        /* A second open of an open attachment is the same object. */
        CHECK_OK(msg->lpVtbl->OpenAttach(msg, 0, NULL, MAPI_MODIFY, &again));
        CHECK(again == att);
        if (again)
            again->lpVtbl->Release(again);
        att->lpVtbl->Release(att);
    }
    /* Unsaved, the attachment is not in the table and the number is unknown once released;
       numbers are not reused, so the next attachments are 1, 2 and 3. */
    CHECK(row_count(msg) == 0);
    CHECK_HR(msg->lpVtbl->OpenAttach(msg, 0, NULL, 0, &again), MAPI_E_NOT_FOUND);
    CHECK(again == NULL);
    add_file(msg, "data.bin", DATA_SIZE, 1);
    /* In the table only after the message's SaveChanges too; the message's flags count
       attachments saved into it. */
    CHECK(row_count(msg) == 0);
    CHECK(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS) == (MSGFLAG_UNSENT | MSGFLAG_HASATTACH));
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    CHECK(row_count(msg) == 1);
    CHECK(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS) == (MSGFLAG_UNSENT | MSGFLAG_HASATTACH));
    CHECK(get_long((LPMAPIPROP)msg, PR_HASATTACH) == 1);

    /* 2: an embedded message holding an embedded message; saved inner first. */
    inner = add_embedded(msg, &att, "level one");
    if (inner) {
        add_recipient(inner, "Inner Person");
        add_file(inner, "inner.txt", 1000, 2);
        inner2 = add_embedded(inner, &att2, "level two");
        if (inner2) {
            set_string((LPMAPIPROP)inner2, PR_BODY_W, "deepest body");
            add_file(inner2, "deep.bin", 5000, 3);
            CHECK_OK(inner2->lpVtbl->SaveChanges(inner2, 0));
            inner2->lpVtbl->Release(inner2);
        }
        if (att2) {
            CHECK_OK(att2->lpVtbl->SaveChanges(att2, 0));
            att2->lpVtbl->Release(att2);
        }
        CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
        inner->lpVtbl->Release(inner);
    }
    if (att) {
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }

    /* 3: an OLE attachment: a storage of the caller's making. */
    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &ole_att));
    CHECK(num == 3);
    if (ole_att) {
        set_long((LPMAPIPROP)ole_att, PR_ATTACH_METHOD, ATTACH_OLE);
        CHECK_OK(ole_att->lpVtbl->OpenProperty(ole_att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0,
                                               MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&ole));
        if (ole) {
            CHECK_OK(ole->lpVtbl->CreateStream(ole, W("CONTENTS"), STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE,
                                               0, 0, &contents));
            if (contents) {
                CHECK_OK(contents->lpVtbl->Write(contents, "ole bytes", 9, &written));
                contents->lpVtbl->Release(contents);
            }
            CHECK_OK(ole->lpVtbl->Commit(ole, STGC_DEFAULT));
            ole->lpVtbl->Release(ole);
        }
        CHECK_OK(ole_att->lpVtbl->SaveChanges(ole_att, 0));
        ole_att->lpVtbl->Release(ole_att);
    }
    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

/* The attachment table: numbers, methods and sizes in rendering-position order. */
/* PR_ATTACH_SIZE counts the data and the attachment's other properties, so a by-value
   attachment is larger than `min_data`. */
static void check_table(LPMESSAGE msg, ULONG expected_rows, const LONG *nums, const LONG *methods, LONG min_data)
{
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(4, cols) = {4, {PR_ATTACH_NUM, PR_ATTACH_METHOD, PR_ATTACH_SIZE, PR_INSTANCE_KEY}};
    BOOKMARK mark = 0;
    ULONG i;

    CHECK_OK(msg->lpVtbl->OpenProperty(msg, PR_MESSAGE_ATTACHMENTS, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)&table));
    if (!table)
        return;
    CHECK_HR(table->lpVtbl->CreateBookmark(table, &mark), MAPI_E_NO_SUPPORT);
    CHECK_OK(table->lpVtbl->SetColumns(table, (LPSPropTagArray)&cols, 0));
    CHECK_OK(table->lpVtbl->QueryRows(table, 10, 0, &rows));
    CHECK(rows && rows->cRows == expected_rows);
    for (i = 0; rows && i < rows->cRows; i++) {
        LPSPropValue p = rows->aRow[i].lpProps;
        if (i < expected_rows) {
            CHECK(p[0].ulPropTag == PR_ATTACH_NUM && p[0].Value.l == nums[i]);
            CHECK(p[1].ulPropTag == PR_ATTACH_METHOD && p[1].Value.l == methods[i]);
        }
        CHECK(p[2].ulPropTag == PR_ATTACH_SIZE && p[2].Value.l > 0);
        CHECK(p[3].ulPropTag == PR_INSTANCE_KEY && p[3].Value.bin.cb == 4);
        if (p[1].Value.l == ATTACH_BY_VALUE)
            CHECK(p[2].Value.l > min_data);
        MAPIFreeBuffer(p);
    }
    MAPIFreeBuffer(rows);
    table->lpVtbl->Release(table);
}

static void read_file(LPMSGSESS sess)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL, inner = NULL, inner2 = NULL;
    LPATTACH att = NULL, att2 = NULL;
    IStream *data = NULL;
    IStorage *ole = NULL;
    IStream *contents = NULL;
    char buf[32];
    ULONG got = 0;
    static const LONG nums[3] = {1, 2, 3};
    static const LONG methods[3] = {ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, ATTACH_OLE};
    SPropValue v;

    CHECK_OK(StgOpenStorage(msg_path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg));
    stg->lpVtbl->Release(stg);
    if (!msg)
        return;
    CHECK(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS) == (MSGFLAG_UNSENT | MSGFLAG_HASATTACH));
    check_table(msg, 3, nums, methods, DATA_SIZE);
    CHECK_HR(msg->lpVtbl->OpenAttach(msg, 7, NULL, 0, &att), MAPI_E_NOT_FOUND);

    /* 1: the data, streamed back; a read-only attachment refuses changes. */
    CHECK_OK(msg->lpVtbl->OpenAttach(msg, 1, NULL, 0, &att));
    if (att) {
        CHECK(string_is((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, "data.bin"));
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, (LPUNKNOWN *)&data));
        if (data) {
            check_pattern(data, DATA_SIZE, 1);
            data->lpVtbl->Release(data);
        }
        v.ulPropTag = PR_ATTACH_METHOD;
        v.Value.l = ATTACH_OLE;
        CHECK_HR(att->lpVtbl->SetProps(att, 1, &v, NULL), MAPI_E_NO_ACCESS);
        att->lpVtbl->Release(att);
    }

    /* 2: two levels of embedded messages, with their own recipients and attachments. */
    CHECK_OK(msg->lpVtbl->OpenAttach(msg, 2, NULL, MAPI_BEST_ACCESS, &att));
    if (att) {
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&inner));
        att->lpVtbl->Release(att);
    }
    if (inner) {
        static const LONG inner_nums[2] = {0, 1};
        static const LONG inner_methods[2] = {ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG};
        CHECK(string_is((LPMAPIPROP)inner, PR_SUBJECT_W, "level one"));
        CHECK(string_is((LPMAPIPROP)inner, PR_DISPLAY_TO_W, "Inner Person"));
        check_table(inner, 2, inner_nums, inner_methods, 1000);
        CHECK_OK(inner->lpVtbl->OpenAttach(inner, 0, NULL, 0, &att2));
        if (att2) {
            CHECK_OK(att2->lpVtbl->OpenProperty(att2, PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, (LPUNKNOWN *)&data));
            if (data) {
                check_pattern(data, 1000, 2);
                data->lpVtbl->Release(data);
            }
            att2->lpVtbl->Release(att2);
        }
        CHECK_OK(inner->lpVtbl->OpenAttach(inner, 1, NULL, 0, &att2));
        if (att2) {
            CHECK_OK(att2->lpVtbl->OpenProperty(att2, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&inner2));
            att2->lpVtbl->Release(att2);
        }
        if (inner2) {
            CHECK(string_is((LPMAPIPROP)inner2, PR_SUBJECT_W, "level two"));
            CHECK(string_is((LPMAPIPROP)inner2, PR_BODY_W, "deepest body"));
            CHECK(row_count(inner2) == 1);
            inner2->lpVtbl->Release(inner2);
        }
        inner->lpVtbl->Release(inner);
    }

    /* 3: the OLE storage as written. */
    CHECK_OK(msg->lpVtbl->OpenAttach(msg, 3, NULL, 0, &att));
    if (att) {
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0, (LPUNKNOWN *)&ole));
        att->lpVtbl->Release(att);
    }
    if (ole) {
        CHECK_OK(ole->lpVtbl->OpenStream(ole, W("CONTENTS"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &contents));
        if (contents) {
            CHECK_OK(contents->lpVtbl->Read(contents, buf, sizeof(buf), &got));
            CHECK(got == 9 && memcmp(buf, "ole bytes", 9) == 0);
            contents->lpVtbl->Release(contents);
        }
        ole->lpVtbl->Release(ole);
    }
    msg->lpVtbl->Release(msg);
}

/* Deletes the embedded attachment; the deletion lands with the message's SaveChanges. */
static void delete_one(LPMSGSESS sess)
{
    IStorage *stg = NULL, *sub = NULL;
    LPMESSAGE msg = NULL;
    static const LONG nums[2] = {1, 3};
    static const LONG methods[2] = {ATTACH_BY_VALUE, ATTACH_OLE};

    CHECK_OK(StgOpenStorage(msg_path, NULL, STGM_READWRITE | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        CHECK_HR(msg->lpVtbl->DeleteAttach(msg, 9, 0, NULL, 0), MAPI_E_NOT_FOUND);
        CHECK_HR(msg->lpVtbl->DeleteAttach(msg, 2, 0, NULL, 0x40000000u), MAPI_E_UNKNOWN_FLAGS);
        CHECK_OK(msg->lpVtbl->DeleteAttach(msg, 2, 0, NULL, 0));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
        check_table(msg, 2, nums, methods, DATA_SIZE);
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        msg->lpVtbl->Release(msg);
    }
    stg->lpVtbl->Release(stg);

    CHECK_OK(StgOpenStorage(msg_path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg));
    if (!stg)
        return;
    /* Neither the deleted attachment nor the one released unsaved (0) is in the file. */
    CHECK_HR(stg->lpVtbl->OpenStorage(stg, W("__attach_version1.0_#00000002"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE,
                                      NULL, 0, &sub),
             STG_E_FILENOTFOUND);
    CHECK_HR(stg->lpVtbl->OpenStorage(stg, W("__attach_version1.0_#00000000"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE,
                                      NULL, 0, &sub),
             STG_E_FILENOTFOUND);
    CHECK_OK(stg->lpVtbl->OpenStorage(stg, W("__attach_version1.0_#00000003"), NULL, STGM_READ | STGM_SHARE_EXCLUSIVE,
                                      NULL, 0, &sub));
    if (sub)
        sub->lpVtbl->Release(sub);
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, 0, &msg));
    if (msg) {
        check_table(msg, 2, nums, methods, DATA_SIZE);
        CHECK(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS) == (MSGFLAG_UNSENT | MSGFLAG_HASATTACH));
        msg->lpVtbl->Release(msg);
    }
    stg->lpVtbl->Release(stg);
}

int main(void)
{
    LPMSGSESS sess = NULL;
    char path[256];

    if (!test_dir_create("imsg-attach")) {
        perror("mkdtemp");
        return 1;
    }
    test_path("attachments.msg", path, msg_path);
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    write_file(sess);
    read_file(sess);
    delete_one(sess);
    CloseIMsgSession(sess);
    test_dir_remove();
    return check_report("attachments");
}
