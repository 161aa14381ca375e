/* recipients_scale.c - how the cost of recipients and attachments grows with their number.

   usage: recipients_scale [DIR] [RECIPIENT_COUNTS] [ATTACHMENT_COUNTS]
     DIR                where the .msg files go (default "."; each is removed after use)
     RECIPIENT_COUNTS   comma-separated (default 1000,2000,5000,10000; "-" for none)
     ATTACHMENT_COUNTS  comma-separated (default 100,250,500,1000; "-" for none)

   Recipients (display name, e-mail address, address type, recipient type, PR_ENTRYID), for
   each count, twice: added with one ModifyRecipients(MODRECIP_ADD) call holding every row,
   and in calls of 100 rows. Then SaveChanges, IStorage::Commit, Release; StgOpenStorage,
   GetRecipientTable, QueryRows in pages of 500, every row checked.

   Attachments (by value, 1 KiB of data each): CreateAttach + SetProps + SaveChanges for
   each, the message's SaveChanges, Release; StgOpenStorage, GetAttachmentTable, QueryRows
   in pages of 500, then OpenAttach + GetProps of the data for each, every byte checked.

   Each phase prints its time, the time per item, and that per-item time divided by the
   one at the first count: growth linear in the count keeps the ratio near 1, quadratic
   growth makes it follow the count (x10 at 10x the items). Phases of fixed cost (creating
   the file) show ratios below 1. Each count runs BENCH_REPEAT times (default 3), each time
   in a child process of its own so that its peak resident memory (VmHWM) is its own; the
   fastest time of each phase is kept. Exits non-zero on any error. */
#include "bench_common.h" /* first: it defines _GNU_SOURCE */

#include <sys/wait.h>
#include <unistd.h>

#define MAX_COUNTS 16
#define MAX_PHASES 12
#define PAGE_ROWS 500
#define BATCH 100
#define ATTACH_BYTES 1024

static const char *dir = ".";

/* ===== result tables ===== */

struct table {
    const char *title;
    const char *unit; /* "recipient" or "attachment" */
    int ncounts;
    long counts[MAX_COUNTS];
    int nphases;
    const char *phase[MAX_PHASES];
    double seconds[MAX_PHASES][MAX_COUNTS];
    double peak_mib[MAX_COUNTS];
};

static int phase_index(struct table *t, const char *name)
{
    int i;
    for (i = 0; i < t->nphases; i++)
        if (strcmp(t->phase[i], name) == 0)
            return i;
    if (t->nphases == MAX_PHASES)
        die("too many phases");
    t->phase[t->nphases] = name;
    return t->nphases++;
}

static void record(struct table *t, int col, const char *name, double seconds)
{
    t->seconds[phase_index(t, name)][col] = seconds;
}

static void print_table(const struct table *t)
{
    int p, c;
    double total[MAX_COUNTS] = {0};
    printf("\n== %s: microseconds per %s (ratio to n=%ld; 1.0 = linear growth)\n", t->title,
           t->unit, t->counts[0]);
    printf("%-34s", "phase");
    for (c = 0; c < t->ncounts; c++) {
        char head[32];
        snprintf(head, sizeof head, "n=%ld", t->counts[c]);
        printf(" %19s", head);
    }
    printf("\n");
    for (p = 0; p <= t->nphases; p++) {
        const char *name = p < t->nphases ? t->phase[p] : "TOTAL";
        printf("%-34s", name);
        for (c = 0; c < t->ncounts; c++) {
            double s, per, first;
            if (p < t->nphases) {
                s = t->seconds[p][c];
                total[c] += s;
                first = t->seconds[p][0] / t->counts[0];
            } else {
                s = total[c];
                first = total[0] / t->counts[0];
            }
            per = s / t->counts[c];
            if (first > 0)
                printf(" %10.2f (%5.2fx)", per * 1e6, per / first);
            else
                printf(" %10.2f (  -  )", per * 1e6);
        }
        printf("\n");
    }
    printf("milliseconds per phase:\n");
    for (p = 0; p < t->nphases; p++) {
        printf("  %-32s", t->phase[p]);
        for (c = 0; c < t->ncounts; c++)
            printf(" %19.2f", t->seconds[p][c] * 1e3);
        printf("\n");
    }
    printf("%-34s", "total seconds");
    for (c = 0; c < t->ncounts; c++)
        printf(" %19.3f", total[c]);
    printf("\n%-34s", "peak RSS MiB");
    for (c = 0; c < t->ncounts; c++)
        printf(" %19.1f", t->peak_mib[c]);
    printf("\n");
}

/* ===== common ===== */

struct open_msg {
    IStorage *stg;
    LPMSGSESS sess;
    LPMESSAGE msg;
};

static void create_msg(const char *path, struct open_msg *m)
{
    WCHAR *w = wide_dup(path);
    CHECK_HR(StgCreateDocfile(w, STGM_TRANSACTED | STGM_READWRITE | STGM_CREATE, 0, &m->stg));
    CHECK_HR(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &m->sess));
    CHECK_HR(OpenIMsgOnIStg(m->sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, m->stg, NULL, 0, MAPI_UNICODE, &m->msg));
    free(w);
}

static void open_msg(const char *path, struct open_msg *m)
{
    WCHAR *w = wide_dup(path);
    CHECK_HR(StgOpenStorage(w, NULL, STGM_READ | STGM_SHARE_DENY_WRITE, NULL, 0, &m->stg));
    CHECK_HR(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &m->sess));
    CHECK_HR(OpenIMsgOnIStg(m->sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, m->stg, NULL, 0, MAPI_UNICODE, &m->msg));
    free(w);
}

static void close_msg(struct open_msg *m)
{
    m->msg->lpVtbl->Release(m->msg);
    m->stg->lpVtbl->Release(m->stg);
    CloseIMsgSession(m->sess);
    memset(m, 0, sizeof *m);
}

static LPSPropValue find_prop(const SRow *row, ULONG tag)
{
    ULONG i;
    for (i = 0; i < row->cValues; i++)
        if (row->lpProps[i].ulPropTag == tag)
            return &row->lpProps[i];
    return NULL;
}

static void free_rows(LPSRowSet rows)
{
    ULONG i;
    if (!rows)
        return;
    for (i = 0; i < rows->cRows; i++)
        MAPIFreeBuffer(rows->aRow[i].lpProps);
    MAPIFreeBuffer(rows);
}

/* Parses the first run of digits of a UTF-16 string ("Recipient 000123" -> 123), or -1. */
static long first_number(const WCHAR *s)
{
    long v = 0;
    int digits = 0;
    if (!s)
        return -1;
    while (*s && (*s < '0' || *s > '9'))
        s++;
    while (*s >= '0' && *s <= '9' && digits < 9) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    return digits ? v : -1;
}

/* ===== recipients ===== */

#define ENTRYID_BYTES 32

static void entryid_of(long i, BYTE *out)
{
    int k;
    memset(out, 0, 4); /* flags */
    for (k = 4; k < 20; k++)
        out[k] = (BYTE)(0xA0 + k); /* a provider UID */
    out[20] = (BYTE)i;
    out[21] = (BYTE)(i >> 8);
    out[22] = (BYTE)(i >> 16);
    out[23] = (BYTE)(i >> 24);
    for (k = 24; k < ENTRYID_BYTES; k++)
        out[k] = (BYTE)(i * 7 + k);
}

static ULONG recip_type_of(long i) { return (ULONG)(MAPI_TO + i % 3); }

/* An ADRLIST of recipients first..first+count-1, every block from MAPIAllocateBuffer /
   MAPIAllocateMore as callers build them. */
static LPADRLIST build_adrlist(long first, long count)
{
    LPADRLIST list = NULL;
    long r;
    if (MAPIAllocateBuffer((ULONG)CbNewADRLIST(count), (void **)&list) != S_OK)
        die("MAPIAllocateBuffer");
    list->cEntries = (ULONG)count;
    for (r = 0; r < count; r++) {
        long i = first + r;
        LPSPropValue v = NULL;
        WCHAR *name, *email, *type;
        BYTE *eid;
        if (MAPIAllocateBuffer(5 * sizeof(SPropValue), (void **)&v) != S_OK ||
            MAPIAllocateMore(32 * sizeof(WCHAR), v, (void **)&name) != S_OK ||
            MAPIAllocateMore(40 * sizeof(WCHAR), v, (void **)&email) != S_OK ||
            MAPIAllocateMore(8 * sizeof(WCHAR), v, (void **)&type) != S_OK ||
            MAPIAllocateMore(ENTRYID_BYTES, v, (void **)&eid) != S_OK)
            die("MAPIAllocateBuffer/More");
        wide_ascii(name, 32, "Recipient %06ld", i);
        wide_ascii(email, 40, "user%06ld@example.com", i);
        wide_ascii(type, 8, "SMTP");
        entryid_of(i, eid);
        v[0].ulPropTag = TAG_DISPLAY_NAME;
        v[0].Value.lpszW = name;
        v[1].ulPropTag = TAG_EMAIL_ADDRESS;
        v[1].Value.lpszW = email;
        v[2].ulPropTag = TAG_ADDRTYPE;
        v[2].Value.lpszW = type;
        v[3].ulPropTag = TAG_RECIPIENT_TYPE;
        v[3].Value.l = (LONG)recip_type_of(i);
        v[4].ulPropTag = TAG_ENTRYID;
        v[4].Value.bin.cb = ENTRYID_BYTES;
        v[4].Value.bin.lpb = eid;
        list->aEntries[r].ulReserved1 = 0;
        list->aEntries[r].cValues = 5;
        list->aEntries[r].rgPropVals = v;
    }
    return list;
}

/* Frees an ADRLIST after ModifyRecipients: the method may have replaced an entry's array
   with one of its own (MAPI allows it), in which case both are freed. */
static void free_adrlist(LPADRLIST list, LPSPropValue *originals)
{
    ULONG r;
    for (r = 0; r < list->cEntries; r++) {
        if (list->aEntries[r].rgPropVals != originals[r])
            MAPIFreeBuffer(list->aEntries[r].rgPropVals);
        MAPIFreeBuffer(originals[r]);
    }
    MAPIFreeBuffer(list);
}

static void check_recipient_row(const SRow *row, unsigned char *seen, long n)
{
    LPSPropValue name = find_prop(row, TAG_DISPLAY_NAME);
    LPSPropValue email = find_prop(row, TAG_EMAIL_ADDRESS);
    LPSPropValue type = find_prop(row, TAG_ADDRTYPE);
    LPSPropValue rtype = find_prop(row, TAG_RECIPIENT_TYPE);
    LPSPropValue eid = find_prop(row, TAG_ENTRYID);
    LPSPropValue rowid = find_prop(row, TAG_ROWID);
    BYTE want_eid[ENTRYID_BYTES];
    char want[64];
    long i;
    if (!name || !email || !type || !rtype || !eid || !rowid)
        die("a recipient row lacks a column (name %p email %p addrtype %p type %p entryid %p "
            "rowid %p)",
            (void *)name, (void *)email, (void *)type, (void *)rtype, (void *)eid, (void *)rowid);
    i = first_number(name->Value.lpszW);
    if (i < 0 || i >= n)
        die("unexpected recipient display name");
    if (seen[i])
        die("recipient %ld appears twice", i);
    seen[i] = 1;
    snprintf(want, sizeof want, "Recipient %06ld", i);
    if (!wide_eq(name->Value.lpszW, want))
        die("recipient %ld: display name differs", i);
    snprintf(want, sizeof want, "user%06ld@example.com", i);
    if (!wide_eq(email->Value.lpszW, want))
        die("recipient %ld: e-mail address differs", i);
    if (!wide_eq(type->Value.lpszW, "SMTP"))
        die("recipient %ld: address type differs", i);
    if ((ULONG)rtype->Value.l != recip_type_of(i))
        die("recipient %ld: recipient type %ld, expected %lu", i, (long)rtype->Value.l,
            (unsigned long)recip_type_of(i));
    entryid_of(i, want_eid);
    if (eid->Value.bin.cb != ENTRYID_BYTES || memcmp(eid->Value.bin.lpb, want_eid, ENTRYID_BYTES))
        die("recipient %ld: PR_ENTRYID differs", i);
}

static void recipients_run(struct table *t, int col, long n, int batched)
{
    char path[4096];
    struct open_msg m;
    LPADRLIST *lists;
    LPSPropValue **originals;
    long nlists = batched ? (n + BATCH - 1) / BATCH : 1, k, rows_seen = 0;
    unsigned char *seen;
    LPMAPITABLE table = NULL;
    ULONG count = 0;
    double t0, t1, query_time = 0;

    snprintf(path, sizeof path, "%s/recipients_%ld_%d.msg", dir, n, batched);
    reset_peak_rss();

    /* The ADRLISTs are built before the clock starts: they are the caller's work. */
    lists = (LPADRLIST *)calloc((size_t)nlists, sizeof *lists);
    originals = (LPSPropValue **)calloc((size_t)nlists, sizeof *originals);
    for (k = 0; k < nlists; k++) {
        long first = batched ? k * BATCH : 0;
        long cnt = batched ? (n - first < BATCH ? n - first : BATCH) : n;
        ULONG r;
        lists[k] = build_adrlist(first, cnt);
        originals[k] = (LPSPropValue *)malloc((size_t)cnt * sizeof(LPSPropValue));
        for (r = 0; r < lists[k]->cEntries; r++)
            originals[k][r] = lists[k]->aEntries[r].rgPropVals;
    }

    t0 = now_seconds();
    create_msg(path, &m);
    t1 = now_seconds();
    record(t, col, "create docfile + message", t1 - t0);

    t0 = now_seconds();
    for (k = 0; k < nlists; k++)
        CHECK_HR(m.msg->lpVtbl->ModifyRecipients(m.msg, MODRECIP_ADD, lists[k]));
    t1 = now_seconds();
    record(t, col, "ModifyRecipients(MODRECIP_ADD)", t1 - t0);
    for (k = 0; k < nlists; k++)
        free_adrlist(lists[k], originals[k]), free(originals[k]);
    free(lists);
    free(originals);

    t0 = now_seconds();
    CHECK_HR(m.msg->lpVtbl->SaveChanges(m.msg, KEEP_OPEN_READWRITE));
    t1 = now_seconds();
    record(t, col, "IMessage::SaveChanges", t1 - t0);
    t0 = now_seconds();
    CHECK_HR(m.stg->lpVtbl->Commit(m.stg, STGC_DEFAULT));
    t1 = now_seconds();
    record(t, col, "IStorage::Commit", t1 - t0);
    t0 = now_seconds();
    close_msg(&m);
    t1 = now_seconds();
    record(t, col, "release", t1 - t0);

    t0 = now_seconds();
    open_msg(path, &m);
    t1 = now_seconds();
    record(t, col, "reopen (StgOpenStorage+OpenIMsg)", t1 - t0);
    t0 = now_seconds();
    CHECK_HR(m.msg->lpVtbl->GetRecipientTable(m.msg, MAPI_UNICODE, &table));
    CHECK_HR(table->lpVtbl->GetRowCount(table, 0, &count));
    t1 = now_seconds();
    record(t, col, "GetRecipientTable + GetRowCount", t1 - t0);
    if ((long)count != n)
        die("GetRowCount says %lu recipients, expected %ld", (unsigned long)count, n);

    seen = (unsigned char *)calloc((size_t)n, 1);
    for (;;) {
        LPSRowSet rows = NULL;
        ULONG r;
        t0 = now_seconds();
        CHECK_HR(table->lpVtbl->QueryRows(table, PAGE_ROWS, 0, &rows));
        query_time += now_seconds() - t0;
        if (!rows)
            die("QueryRows returned no row set");
        if (rows->cRows == 0) {
            free_rows(rows);
            break;
        }
        for (r = 0; r < rows->cRows; r++)
            check_recipient_row(&rows->aRow[r], seen, n);
        rows_seen += rows->cRows;
        free_rows(rows);
    }
    record(t, col, "QueryRows (pages of 500)", query_time);
    if (rows_seen != n)
        die("the recipient table has %ld rows, expected %ld", rows_seen, n);
    free(seen);
    t0 = now_seconds();
    table->lpVtbl->Release(table);
    close_msg(&m);
    t1 = now_seconds();
    record(t, col, "release after reading", t1 - t0);
    t->peak_mib[col] = peak_rss_mib();
    unlink(path);
}

/* ===== attachments ===== */

static void attachments_run(struct table *t, int col, long n)
{
    char path[4096];
    struct open_msg m;
    LPMAPITABLE table = NULL;
    ULONG count = 0;
    ULONG *nums = (ULONG *)malloc((size_t)n * sizeof(ULONG));
    long *index_of = (long *)malloc((size_t)n * sizeof(long));
    unsigned char *seen = (unsigned char *)calloc((size_t)n, 1);
    unsigned char data[ATTACH_BYTES];
    long i, rows_seen = 0;
    double t0, t1, query_time = 0;

    snprintf(path, sizeof path, "%s/attachments_%ld.msg", dir, n);
    reset_peak_rss();

    t0 = now_seconds();
    create_msg(path, &m);
    t1 = now_seconds();
    record(t, col, "create docfile + message", t1 - t0);

    t0 = now_seconds();
    for (i = 0; i < n; i++) {
        LPATTACH att = NULL;
        ULONG num = 0;
        SPropValue v[4];
        WCHAR name[32], long_name[48];
        LPSPropProblemArray problems = NULL;
        fill_data((uint64_t)i + 1, 0, data, ATTACH_BYTES);
        wide_ascii(name, 32, "A%06ld.BIN", i);
        wide_ascii(long_name, 48, "attachment number %06ld.bin", i);
        CHECK_HR(m.msg->lpVtbl->CreateAttach(m.msg, NULL, 0, &num, &att));
        v[0].ulPropTag = TAG_ATTACH_METHOD;
        v[0].Value.l = ATTACH_BY_VALUE;
        v[1].ulPropTag = TAG_ATTACH_FILENAME;
        v[1].Value.lpszW = name;
        v[2].ulPropTag = TAG_ATTACH_LONG_FILENAME;
        v[2].Value.lpszW = long_name;
        v[3].ulPropTag = TAG_ATTACH_DATA_BIN;
        v[3].Value.bin.cb = ATTACH_BYTES;
        v[3].Value.bin.lpb = data;
        CHECK_HR(att->lpVtbl->SetProps(att, 4, v, &problems));
        if (problems)
            die("SetProps on attachment %ld reported problems", i);
        CHECK_HR(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }
    t1 = now_seconds();
    record(t, col, "CreateAttach+SetProps+SaveChanges", t1 - t0);

    t0 = now_seconds();
    CHECK_HR(m.msg->lpVtbl->SaveChanges(m.msg, KEEP_OPEN_READWRITE));
    t1 = now_seconds();
    record(t, col, "IMessage::SaveChanges", t1 - t0);
    t0 = now_seconds();
    CHECK_HR(m.stg->lpVtbl->Commit(m.stg, STGC_DEFAULT));
    t1 = now_seconds();
    record(t, col, "IStorage::Commit", t1 - t0);
    t0 = now_seconds();
    close_msg(&m);
    t1 = now_seconds();
    record(t, col, "release", t1 - t0);

    t0 = now_seconds();
    open_msg(path, &m);
    t1 = now_seconds();
    record(t, col, "reopen (StgOpenStorage+OpenIMsg)", t1 - t0);
    t0 = now_seconds();
    CHECK_HR(m.msg->lpVtbl->GetAttachmentTable(m.msg, MAPI_UNICODE, &table));
    CHECK_HR(table->lpVtbl->GetRowCount(table, 0, &count));
    t1 = now_seconds();
    record(t, col, "GetAttachmentTable + GetRowCount", t1 - t0);
    if ((long)count != n)
        die("GetRowCount says %lu attachments, expected %ld", (unsigned long)count, n);
    for (;;) {
        LPSRowSet rows = NULL;
        ULONG r;
        t0 = now_seconds();
        CHECK_HR(table->lpVtbl->QueryRows(table, PAGE_ROWS, 0, &rows));
        query_time += now_seconds() - t0;
        if (!rows)
            die("QueryRows returned no row set");
        if (rows->cRows == 0) {
            free_rows(rows);
            break;
        }
        for (r = 0; r < rows->cRows; r++) {
            LPSPropValue num = find_prop(&rows->aRow[r], TAG_ATTACH_NUM);
            LPSPropValue name = find_prop(&rows->aRow[r], TAG_ATTACH_LONG_FILENAME);
            long idx;
            if (!num || !name)
                die("an attachment row lacks PR_ATTACH_NUM or PR_ATTACH_LONG_FILENAME");
            idx = first_number(name->Value.lpszW);
            if (rows_seen >= n || idx < 0 || idx >= n || seen[idx])
                die("unexpected attachment row (index %ld)", idx);
            seen[idx] = 1;
            nums[rows_seen] = (ULONG)num->Value.l;
            index_of[rows_seen] = idx;
            rows_seen++;
        }
        free_rows(rows);
    }
    record(t, col, "QueryRows (pages of 500)", query_time);
    if (rows_seen != n)
        die("the attachment table has %ld rows, expected %ld", rows_seen, n);

    t0 = now_seconds();
    for (i = 0; i < n; i++) {
        LPATTACH att = NULL;
        SizedSPropTagArray(2, tags) = {2, {TAG_ATTACH_DATA_BIN, TAG_ATTACH_METHOD}};
        LPSPropValue v = NULL;
        ULONG nv = 0;
        CHECK_HR(m.msg->lpVtbl->OpenAttach(m.msg, nums[i], NULL, 0, &att));
        CHECK_HR(att->lpVtbl->GetProps(att, (LPSPropTagArray)&tags, MAPI_UNICODE, &nv, &v));
        fill_data((uint64_t)index_of[i] + 1, 0, data, ATTACH_BYTES);
        if (nv != 2 || v[0].ulPropTag != TAG_ATTACH_DATA_BIN || v[0].Value.bin.cb != ATTACH_BYTES ||
            memcmp(v[0].Value.bin.lpb, data, ATTACH_BYTES) != 0)
            die("attachment %ld (number %lu): data differs", index_of[i], (unsigned long)nums[i]);
        if (v[1].ulPropTag != TAG_ATTACH_METHOD || v[1].Value.l != ATTACH_BY_VALUE)
            die("attachment %ld: PR_ATTACH_METHOD differs", index_of[i]);
        MAPIFreeBuffer(v);
        att->lpVtbl->Release(att);
    }
    t1 = now_seconds();
    record(t, col, "OpenAttach + GetProps(data) each", t1 - t0);

    t0 = now_seconds();
    table->lpVtbl->Release(table);
    close_msg(&m);
    t1 = now_seconds();
    record(t, col, "release after reading", t1 - t0);
    t->peak_mib[col] = peak_rss_mib();
    unlink(path);
    free(nums);
    free(index_of);
    free(seen);
}

/* ===== isolation ===== */

/* What one run sends back to the parent. Phase names are string literals, at the same
   address in the forked child as in the parent. */
struct column {
    int nphases;
    const char *phase[MAX_PHASES];
    double seconds[MAX_PHASES];
    double peak_mib;
};

/* Runs one count in a child process, so that its peak RSS is its own (memory that a
   previous run freed but malloc kept would otherwise count), and a crash is reported. */
static void run_once(struct table *t, int col, void (*run)(struct table *, int, long, int),
                     int arg, struct column *result)
{
    int fds[2], status = 0, p;
    pid_t pid;
    struct column out;
    fflush(stdout);
    if (pipe(fds) != 0)
        die("pipe");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct table mine = *t;
        close(fds[0]);
        mine.nphases = 0;
        run(&mine, col, t->counts[col], arg);
        memset(&out, 0, sizeof out);
        out.nphases = mine.nphases;
        for (p = 0; p < mine.nphases; p++) {
            out.phase[p] = mine.phase[p];
            out.seconds[p] = mine.seconds[p][col];
        }
        out.peak_mib = mine.peak_mib[col];
        if (write(fds[1], &out, sizeof out) != (ssize_t)sizeof out)
            _exit(3);
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], &out, sizeof out) != (ssize_t)sizeof out) {
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
            die("%s, n=%ld: the run died of signal %d", t->title, t->counts[col], WTERMSIG(status));
        die("%s, n=%ld: the run failed (exit status %d)", t->title, t->counts[col],
            WEXITSTATUS(status));
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s, n=%ld: the run failed", t->title, t->counts[col]);
    *result = out;
}

static int repeats = 3;

/* Runs one count `repeats` times and keeps, for each phase, the fastest time (the one
   least disturbed by the rest of the machine), and the highest peak RSS. */
static void run_isolated(struct table *t, int col, void (*run)(struct table *, int, long, int),
                         int arg)
{
    struct column best = {0}, out;
    int r, p;
    printf("%s, n=%ld:", t->title, t->counts[col]);
    for (r = 0; r < repeats; r++) {
        double t0 = now_seconds();
        run_once(t, col, run, arg, &out);
        printf(" %.3f s", now_seconds() - t0);
        if (r == 0) {
            best = out;
            continue;
        }
        if (out.nphases != best.nphases)
            die("phases differ between runs");
        for (p = 0; p < out.nphases; p++)
            if (out.seconds[p] < best.seconds[p])
                best.seconds[p] = out.seconds[p];
        if (out.peak_mib > best.peak_mib)
            best.peak_mib = out.peak_mib;
    }
    printf(", checked\n");
    for (p = 0; p < best.nphases; p++)
        record(t, col, best.phase[p], best.seconds[p]);
    t->peak_mib[col] = best.peak_mib;
}

static void attachments_run_arg(struct table *t, int col, long n, int unused)
{
    (void)unused;
    attachments_run(t, col, n);
}

/* ===== main ===== */

/* "-" means none. */
static int parse_counts(const char *s, long *out)
{
    int n = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    while (*s && n < MAX_COUNTS) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0)
            return 0;
        out[n++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    return n;
}

int main(int argc, char **argv)
{
    static struct table one, batched, att;
    const char *rc = argc > 2 ? argv[2] : "1000,2000,5000,10000";
    const char *ac = argc > 3 ? argv[3] : "100,250,500,1000";
    int c;
    if (argc > 1)
        dir = argv[1];
    if (getenv("BENCH_REPEAT"))
        repeats = atoi(getenv("BENCH_REPEAT"));
    if (repeats < 1)
        repeats = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("each count runs %d times in a child process; the fastest time of each phase is "
           "kept (BENCH_REPEAT=%d)\n",
           repeats, repeats);
    one.title = "recipients, one ModifyRecipients call";
    batched.title = "recipients, ModifyRecipients in batches of 100";
    one.unit = batched.unit = "recipient";
    att.title = "attachments, 1 KiB each";
    att.unit = "attachment";
    one.ncounts = batched.ncounts = parse_counts(rc, one.counts);
    memcpy(batched.counts, one.counts, sizeof one.counts);
    att.ncounts = parse_counts(ac, att.counts);
    if ((!one.ncounts && strcmp(rc, "-") != 0) || (!att.ncounts && strcmp(ac, "-") != 0)) {
        fprintf(stderr, "usage: recipients_scale [DIR] [RECIPIENT_COUNTS] [ATTACHMENT_COUNTS]\n");
        return 2;
    }
    for (c = 0; c < one.ncounts; c++) {
        run_isolated(&one, c, recipients_run, 0);
        run_isolated(&batched, c, recipients_run, 1);
    }
    for (c = 0; c < att.ncounts; c++)
        run_isolated(&att, c, attachments_run_arg, 0);
    if (one.ncounts) {
        print_table(&one);
        print_table(&batched);
    }
    if (att.ncounts)
        print_table(&att);
    printf("OK\n");
    return 0;
}
