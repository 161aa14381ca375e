/* threads.c - the threading promise of README "Threads" and DESIGN decision 6: every object
   may be called from any thread; a message and everything opened from it share one lock.
   Three parts, each checked after the threads join and again after reopening the file:
   1. separate files on separate threads: 8 threads, each with its own session, create,
      save, commit, reopen and read back their own messages;
   2. one message shared by 4 threads: SetProps/GetProps, property streams written and read
      back, ModifyRecipients, the recipient and attachment tables, CreateAttach and
      SaveChanges interleaved; every thread's last values must be in the saved file;
   3. CloseIMsgSession on one thread while 2 others are calling the session's message: every
      call answers S_OK or MAPI_E_OBJECT_DELETED, and after the close only the latter.
   Counters are atomic, so the program itself gives ThreadSanitizer nothing to report.
   IMSG_THREADS_ROUNDS multiplies the rounds (default 1: 2 files per thread, 20 rounds
   on the shared message). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "tags.h"
#include "testdir.h"

/* CHECK and CHECK_HR for several threads: the counters are updated atomically. */
#define TCHECK(cond)                                                                   \
    do {                                                                               \
        __atomic_fetch_add(&check_count, 1, __ATOMIC_RELAXED);                         \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
            __atomic_fetch_add(&check_failures, 1, __ATOMIC_RELAXED);                  \
        }                                                                              \
    } while (0)
#define TCHECK_HR(expr, expected)                                                       \
    do {                                                                                \
        HRESULT tcheck_hr_ = (expr);                                                    \
        HRESULT tcheck_want_ = (expected);                                              \
        __atomic_fetch_add(&check_count, 1, __ATOMIC_RELAXED);                          \
        if (tcheck_hr_ != tcheck_want_) {                                               \
            fprintf(stderr, "%s:%d: %s returned 0x%08lX, expected 0x%08lX\n", __FILE__, \
                    __LINE__, #expr, (unsigned long)(ULONG)tcheck_hr_,                  \
                    (unsigned long)(ULONG)tcheck_want_);                                \
            __atomic_fetch_add(&check_failures, 1, __ATOMIC_RELAXED);                   \
        }                                                                               \
    } while (0)
#define TCHECK_OK(expr) TCHECK_HR(expr, S_OK)

#define SEPARATE_THREADS 8
#define SHARED_THREADS 4
#define CLOSE_THREADS 2
#define DATA_LEN 10000
#define STREAM_LEN 300

static int rounds = 1;

/* ASCII to UTF-16 into `out` (at most 127 characters): W() of wide.h is not thread-safe. */
static WCHAR *wide(const char *s, WCHAR *out)
{
    int i;
    for (i = 0; s[i] && i < 127; i++)
        out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
    return out;
}

static int wide_is(const WCHAR *w, const char *s)
{
    if (!w)
        return 0;
    while (*s && *w == (WCHAR)(unsigned char)*s) {
        w++;
        s++;
    }
    return *w == 0 && *s == 0;
}

static BYTE pattern(int a, int b, int i)
{
    return (BYTE)(a * 31 + b * 7 + i * 13 + (i >> 8));
}

/* Writes `len` bytes of pattern(a, b) into a new property stream; commits it. */
static void write_stream(LPMAPIPROP obj, ULONG tag, int a, int b, ULONG len)
{
    IStream *stm = NULL;
    BYTE buf[DATA_LEN];
    ULONG i, written = 0;
    for (i = 0; i < len; i++)
        buf[i] = pattern(a, b, (int)i);
    TCHECK_OK(obj->lpVtbl->OpenProperty(obj, tag, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                        (LPUNKNOWN *)&stm));
    if (!stm)
        return;
    TCHECK_OK(stm->lpVtbl->Write(stm, buf, len, &written));
    TCHECK(written == len);
    TCHECK_OK(stm->lpVtbl->Commit(stm, STGC_DEFAULT));
    stm->lpVtbl->Release(stm);
}

/* Whether a property stream holds exactly `len` bytes of pattern(a, b). */
static int stream_holds(LPMAPIPROP obj, ULONG tag, int a, int b, ULONG len)
{
    IStream *stm = NULL;
    BYTE buf[DATA_LEN + 1];
    ULONG i, got = 0, n = 0;
    int ok = 1;
    TCHECK_OK(obj->lpVtbl->OpenProperty(obj, tag, &IID_IStream, 0, 0, (LPUNKNOWN *)&stm));
    if (!stm)
        return 0;
    do {
        n = 0;
        if (stm->lpVtbl->Read(stm, buf + got, sizeof(buf) - got, &n) != S_OK)
            ok = 0;
        got += n;
    } while (ok && n > 0 && got < sizeof(buf));
    stm->lpVtbl->Release(stm);
    if (!ok || got != len)
        return 0;
    for (i = 0; i < len; i++)
        if (buf[i] != pattern(a, b, (int)i))
            return 0;
    return 1;
}

static void set_long(LPMAPIPROP obj, ULONG tag, LONG value)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.dwAlignPad = 0;
    v.Value.l = value;
    TCHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, NULL));
}

/* The PT_LONG `tag` of `obj`, or -1 when it cannot be read. */
static LONG get_long(LPMAPIPROP obj, ULONG tag)
{
    SizedSPropTagArray(1, tags) = {1, {tag}};
    LPSPropValue got = NULL;
    ULONG count = 0;
    LONG value = -1;
    if (obj->lpVtbl->GetProps(obj, (LPSPropTagArray)&tags, 0, &count, &got) == S_OK && count == 1 &&
        got[0].ulPropTag == tag)
        value = got[0].Value.l;
    MAPIFreeBuffer(got);
    return value;
}

/* Adds (or with flags 0, sets) recipients "<prefix>-<k>" for k < n. */
static void add_recipients(LPMESSAGE msg, ULONG flags, const char *prefix, int n)
{
    struct {
        ULONG cEntries;
        ADRENTRY aEntries[4];
    } list;
    SPropValue values[4][2];
    WCHAR names[4][128];
    char name[96];
    int k;
    list.cEntries = (ULONG)n;
    for (k = 0; k < n; k++) {
        snprintf(name, sizeof(name), "%s-%d", prefix, k);
        values[k][0].ulPropTag = PR_DISPLAY_NAME_W;
        values[k][0].dwAlignPad = 0;
        values[k][0].Value.lpszW = wide(name, names[k]);
        values[k][1].ulPropTag = PR_RECIPIENT_TYPE;
        values[k][1].dwAlignPad = 0;
        values[k][1].Value.l = MAPI_TO;
        list.aEntries[k].ulReserved1 = 0;
        list.aEntries[k].cValues = 2;
        list.aEntries[k].rgPropVals = values[k];
    }
    TCHECK_OK(msg->lpVtbl->ModifyRecipients(msg, flags, (LPADRLIST)&list));
}

/* The number of rows of a message's recipient (or attachment) table, read whole; -1 on
   failure. With `want_name`, whether a row has that display name goes to *found. */
static long table_rows(LPMESSAGE msg, int attachments, const char *want_name, int *found)
{
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_ROWID}};
    SizedSPropTagArray(1, acols) = {1, {PR_ATTACH_NUM}};
    ULONG count = 0, i;
    long n = -1;
    HRESULT hr = attachments ? msg->lpVtbl->GetAttachmentTable(msg, MAPI_UNICODE, &table)
                             : msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table);
    TCHECK_OK(hr);
    if (!table)
        return -1;
    TCHECK_OK(table->lpVtbl->GetRowCount(table, 0, &count));
    TCHECK_OK(HrQueryAllRows(table, attachments ? (LPSPropTagArray)&acols : (LPSPropTagArray)&cols,
                             NULL, NULL, 0, &rows));
    if (rows) {
        n = (long)rows->cRows;
        /* The table is live: rows other threads add between the two calls show. */
        TCHECK(rows->cRows >= count);
        for (i = 0; want_name && i < rows->cRows; i++)
            if (rows->aRow[i].lpProps[0].ulPropTag == PR_DISPLAY_NAME_W &&
                wide_is(rows->aRow[i].lpProps[0].Value.lpszW, want_name))
                *found = 1;
        FreeProws(rows);
    }
    table->lpVtbl->Release(table);
    return n;
}

static void open_new(const char *path, IStorage **stg, LPMSGSESS *sess, LPMESSAGE *msg)
{
    WCHAR wpath[256];
    int i;
    for (i = 0; (wpath[i] = (WCHAR)(unsigned char)path[i]) != 0; i++) {
    }
    *stg = NULL;
    *sess = NULL;
    *msg = NULL;
    TCHECK_OK(StgCreateDocfile(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, stg));
    TCHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, sess));
    if (*stg && *sess)
        TCHECK_OK(OpenIMsgOnIStg(*sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                 MAPIGetDefaultMalloc(), NULL, *stg, NULL, 0, MAPI_UNICODE, msg));
}

static void open_existing(const char *path, IStorage **stg, LPMSGSESS *sess, LPMESSAGE *msg)
{
    WCHAR wpath[256];
    int i;
    for (i = 0; (wpath[i] = (WCHAR)(unsigned char)path[i]) != 0; i++) {
    }
    *stg = NULL;
    *sess = NULL;
    *msg = NULL;
    TCHECK_OK(StgOpenStorage(wpath, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, stg));
    TCHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, sess));
    if (*stg && *sess)
        TCHECK_OK(OpenIMsgOnIStg(*sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                                 MAPIGetDefaultMalloc(), NULL, *stg, NULL, 0, 0, msg));
}

static void close_all(IStorage *stg, LPMSGSESS sess, LPMESSAGE msg)
{
    if (msg)
        msg->lpVtbl->Release(msg);
    if (stg)
        stg->lpVtbl->Release(stg);
    if (sess)
        CloseIMsgSession(sess);
}

/* ===== 1. separate files on separate threads ===== */

#define TAG_OWNER PROP_TAG(PT_LONG, 0x6700)

static void *separate(void *arg)
{
    int t = (int)(size_t)arg, r;
    for (r = 0; r < 2 * rounds; r++) {
        char path[256], name[64], subject[64];
        WCHAR wsubject[128];
        IStorage *stg;
        LPMSGSESS sess;
        LPMESSAGE msg;
        LPATTACH att = NULL;
        ULONG num = 0;
        SPropValue v[2];
        SizedSPropTagArray(1, subj_tag) = {1, {PR_SUBJECT_W}};
        LPSPropValue got = NULL;
        ULONG count = 0;

        snprintf(name, sizeof(name), "separate-%d-%d.msg", t, r);
        snprintf(subject, sizeof(subject), "thread %d round %d", t, r);
        test_path(name, path, NULL);
        open_new(path, &stg, &sess, &msg);
        if (!msg) {
            close_all(stg, sess, msg);
            continue;
        }
        v[0].ulPropTag = PR_SUBJECT_W;
        v[0].dwAlignPad = 0;
        v[0].Value.lpszW = wide(subject, wsubject);
        v[1].ulPropTag = TAG_OWNER;
        v[1].dwAlignPad = 0;
        v[1].Value.l = t * 1000 + r;
        TCHECK_OK(msg->lpVtbl->SetProps(msg, 2, v, NULL));
        add_recipients(msg, 0, subject, 3);
        TCHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
        if (att) {
            set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
            write_stream((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, t, r, DATA_LEN);
            TCHECK_OK(att->lpVtbl->SaveChanges(att, 0));
            att->lpVtbl->Release(att);
            att = NULL;
        }
        TCHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        TCHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        close_all(stg, sess, msg);

        open_existing(path, &stg, &sess, &msg);
        if (msg) {
            int found = 0;
            char first[96];
            snprintf(first, sizeof(first), "%s-1", subject);
            TCHECK(get_long((LPMAPIPROP)msg, TAG_OWNER) == t * 1000 + r);
            TCHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&subj_tag, MAPI_UNICODE, &count, &got));
            TCHECK(got && count == 1 && wide_is(got[0].Value.lpszW, subject));
            MAPIFreeBuffer(got);
            TCHECK(table_rows(msg, 0, first, &found) == 3);
            TCHECK(found);
            TCHECK(table_rows(msg, 1, NULL, NULL) == 1);
            TCHECK_OK(msg->lpVtbl->OpenAttach(msg, num, NULL, 0, &att));
            if (att) {
                TCHECK(stream_holds((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, t, r, DATA_LEN));
                att->lpVtbl->Release(att);
            }
        }
        close_all(stg, sess, msg);
        remove(path);
    }
    return NULL;
}

/* ===== 2. one message shared by several threads ===== */

#define TAG_LONG(t) PROP_TAG(PT_LONG, 0x6710 + (t))
#define TAG_BIN(t) PROP_TAG(PT_BINARY, 0x6720 + (t))
#define SHARED_ROUNDS (20 * rounds)

static LPMESSAGE shared_msg;

static void *shared(void *arg)
{
    int t = (int)(size_t)arg, r;
    LPMESSAGE msg = shared_msg;
    for (r = 0; r < SHARED_ROUNDS; r++) {
        char prefix[64], mine[96];
        int found = 0;
        set_long((LPMAPIPROP)msg, TAG_LONG(t), r);
        TCHECK(get_long((LPMAPIPROP)msg, TAG_LONG(t)) == r);
        write_stream((LPMAPIPROP)msg, TAG_BIN(t), t, r, STREAM_LEN);
        TCHECK(stream_holds((LPMAPIPROP)msg, TAG_BIN(t), t, r, STREAM_LEN));
        snprintf(prefix, sizeof(prefix), "shared %d round %d", t, r);
        add_recipients(msg, MODRECIP_ADD, prefix, 1);
        snprintf(mine, sizeof(mine), "%s-0", prefix);
        /* Every thread's recipients so far are at least this thread's own. */
        TCHECK(table_rows(msg, 0, mine, &found) >= r + 1);
        TCHECK(found);
        if (r % 10 == 0) {
            LPATTACH att = NULL;
            ULONG num = 0;
            TCHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
            if (att) {
                set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
                write_stream((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, t, r, STREAM_LEN);
                TCHECK_OK(att->lpVtbl->SaveChanges(att, 0));
                att->lpVtbl->Release(att);
            }
            /* The attachment table shows attachments as of the message's last save. */
            TCHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
            TCHECK(table_rows(msg, 1, NULL, NULL) >= r / 10 + 1);
        }
        if (r % 7 == 3)
            TCHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
    }
    return NULL;
}

static void shared_message(void)
{
    char path[256];
    IStorage *stg;
    LPMSGSESS sess;
    pthread_t threads[SHARED_THREADS];
    int t;

    test_path("shared.msg", path, NULL);
    open_new(path, &stg, &sess, &shared_msg);
    if (!shared_msg) {
        close_all(stg, sess, shared_msg);
        return;
    }
    for (t = 0; t < SHARED_THREADS; t++)
        TCHECK(pthread_create(&threads[t], NULL, shared, (void *)(size_t)t) == 0);
    for (t = 0; t < SHARED_THREADS; t++)
        pthread_join(threads[t], NULL);
    TCHECK_OK(shared_msg->lpVtbl->SaveChanges(shared_msg, KEEP_OPEN_READWRITE));
    TCHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    close_all(stg, sess, shared_msg);

    open_existing(path, &stg, &sess, &shared_msg);
    if (shared_msg) {
        for (t = 0; t < SHARED_THREADS; t++) {
            char last[96];
            int found = 0;
            snprintf(last, sizeof(last), "shared %d round %d-0", t, SHARED_ROUNDS - 1);
            TCHECK(get_long((LPMAPIPROP)shared_msg, TAG_LONG(t)) == SHARED_ROUNDS - 1);
            TCHECK(stream_holds((LPMAPIPROP)shared_msg, TAG_BIN(t), t, SHARED_ROUNDS - 1, STREAM_LEN));
            TCHECK(table_rows(shared_msg, 0, last, &found) == SHARED_THREADS * SHARED_ROUNDS);
            TCHECK(found);
        }
        TCHECK(table_rows(shared_msg, 1, NULL, NULL) == SHARED_THREADS * ((SHARED_ROUNDS + 9) / 10));
    }
    close_all(stg, sess, shared_msg);
    remove(path);
}

/* ===== 3. a session closed while its message is in use ===== */

static LPMESSAGE closing_msg;
static int calls_made;   /* atomic */
static int closed;       /* atomic: set just before CloseIMsgSession returns */
static int late_success; /* atomic: S_OK answers that began after the close returned */

static int deleted_or_ok(HRESULT hr)
{
    return hr == S_OK || hr == MAPI_E_OBJECT_DELETED;
}

static void *user(void *arg)
{
    int t = (int)(size_t)arg, i, deleted = 0;
    LPMESSAGE msg = closing_msg;
    for (i = 0; i < 1000000 && deleted < 20; i++) {
        int after_close = __atomic_load_n(&closed, __ATOMIC_ACQUIRE);
        SPropValue v;
        SizedSPropTagArray(1, tags) = {1, {TAG_LONG(t)}};
        LPSPropValue got = NULL;
        ULONG count = 0;
        IStream *stm = NULL;
        LPMAPITABLE table = NULL;
        HRESULT hr;
        v.ulPropTag = TAG_LONG(t);
        v.dwAlignPad = 0;
        v.Value.l = i;
        switch (i % 4) {
        case 0:
            hr = msg->lpVtbl->SetProps(msg, 1, &v, NULL);
            break;
        case 1:
            hr = msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, 0, &count, &got);
            MAPIFreeBuffer(got);
            break;
        case 2:
            hr = msg->lpVtbl->OpenProperty(msg, TAG_BIN(t), &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&stm);
            if (stm) {
                ULONG written = 0;
                HRESULT w = stm->lpVtbl->Write(stm, "abc", 3, &written);
                /* A stream whose message was closed under it refuses to write. */
                TCHECK(w == S_OK || w == MAPI_E_OBJECT_DELETED || w == STG_E_REVERTED);
                stm->lpVtbl->Release(stm);
            }
            break;
        default:
            hr = msg->lpVtbl->GetRecipientTable(msg, 0, &table);
            if (table) {
                ULONG rows = 0;
                HRESULT c = table->lpVtbl->GetRowCount(table, 0, &rows);
                TCHECK(deleted_or_ok(c));
                table->lpVtbl->Release(table);
            }
            break;
        }
        TCHECK(deleted_or_ok(hr));
        if (hr == MAPI_E_OBJECT_DELETED)
            deleted++;
        else if (after_close)
            __atomic_fetch_add(&late_success, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&calls_made, 1, __ATOMIC_RELAXED);
    }
    TCHECK(deleted == 20);
    return NULL;
}

static void close_while_used(void)
{
    char path[256];
    IStorage *stg;
    LPMSGSESS sess;
    pthread_t threads[CLOSE_THREADS];
    int t;

    test_path("closing.msg", path, NULL);
    open_new(path, &stg, &sess, &closing_msg);
    if (!closing_msg) {
        close_all(stg, sess, closing_msg);
        return;
    }
    for (t = 0; t < CLOSE_THREADS; t++)
        TCHECK(pthread_create(&threads[t], NULL, user, (void *)(size_t)t) == 0);
    while (__atomic_load_n(&calls_made, __ATOMIC_RELAXED) < 400)
        sched_yield();
    CloseIMsgSession(sess);
    __atomic_store_n(&closed, 1, __ATOMIC_RELEASE);
    for (t = 0; t < CLOSE_THREADS; t++)
        pthread_join(threads[t], NULL);
    TCHECK(__atomic_load_n(&late_success, __ATOMIC_RELAXED) == 0);
    printf("close while used: %d calls, the close came after 400\n",
           __atomic_load_n(&calls_made, __ATOMIC_RELAXED));
    closing_msg->lpVtbl->Release(closing_msg);
    stg->lpVtbl->Release(stg);
    remove(path);
}

int main(void)
{
    pthread_t threads[SEPARATE_THREADS];
    const char *env = getenv("IMSG_THREADS_ROUNDS");
    int t;

    if (env && atoi(env) > 0)
        rounds = atoi(env);
#ifndef _WIN32
    /* A deadlock fails the test (SIGALRM) instead of hanging it; valgrind needs minutes. */
    alarm(900);
#endif
    if (!test_dir_create("imsg-threads"))
        return 1;
    for (t = 0; t < SEPARATE_THREADS; t++)
        TCHECK(pthread_create(&threads[t], NULL, separate, (void *)(size_t)t) == 0);
    for (t = 0; t < SEPARATE_THREADS; t++)
        pthread_join(threads[t], NULL);
    shared_message();
    close_while_used();
    test_dir_remove();
    return check_report("threads.c");
}
