/* thread_sink.c - HrThisThreadAdviseSink and HrDispatchNotifications with two threads:
   - OnNotify called on a worker thread queues a copy (the worker overwrites its own arrays
     right after each call) and the wrapped sink is not called there;
   - HrDispatchNotifications on the thread that made the wrapper delivers every batch, in
     order, with the values sent; on another thread it delivers nothing of this wrapper;
   - OnNotify on the owning thread delivers what is queued first, then its own
     notifications directly, answering what the wrapped sink answers;
   - reference counts: the wrapper holds the wrapped sink and lets it go at its last
     Release, with queued notifications dropped undelivered (valgrind checks they are freed);
   - refusals: NULL pointers, reserved flags, notifications ScCopyNotifications refuses
     (nothing queued). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "mapiutil.h"

/* ===== the wrapped sink, written here ===== */
#define MAX_SEEN 16
typedef struct {
    IMAPIAdviseSink iface;
    ULONG refs;
    int calls;
    int wrong_thread; /* calls not on the main thread */
    ULONG counts[MAX_SEEN];
    char classes[MAX_SEEN][16]; /* the first notification's message class */
    BYTE first_id[MAX_SEEN];     /* its entry ID's 5th byte */
    LONG row_value[MAX_SEEN];    /* a table notification's row value, if any */
} Sink;

static pthread_t main_thread;

static HRESULT STDMETHODCALLTYPE k_qi(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
    (void)This;
    (void)riid;
    *ppv = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE k_addref(IMAPIAdviseSink *This)
{
    return __atomic_add_fetch(&((Sink *)This)->refs, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE k_release(IMAPIAdviseSink *This)
{
    return __atomic_sub_fetch(&((Sink *)This)->refs, 1, __ATOMIC_SEQ_CST);
}

static ULONG STDMETHODCALLTYPE k_notify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpn)
{
    Sink *s = (Sink *)This;
    if (!pthread_equal(pthread_self(), main_thread))
        s->wrong_thread++;
    int k = s->calls++;
    if (k >= MAX_SEEN)
        return 0;
    s->counts[k] = cNotif;
    s->classes[k][0] = 0;
    s->row_value[k] = -1;
    for (ULONG i = 0; i < cNotif; i++) {
        if (lpn[i].ulEventType == fnevNewMail && i == 0) {
            strncpy(s->classes[k], (const char *)lpn[i].info.newmail.lpszMessageClass, 15);
            s->first_id[k] = ((BYTE *)lpn[i].info.newmail.lpEntryID)[4];
        }
        if (lpn[i].ulEventType == fnevTableModified && lpn[i].info.tab.row.cValues > 0)
            s->row_value[k] = lpn[i].info.tab.row.lpProps[0].Value.l;
    }
    return 7; /* recognisable: the wrapper's OnNotify hands it back on this thread */
}

static IMAPIAdviseSinkVtbl sink_vtbl = {k_qi, k_addref, k_release, k_notify};

/* ===== notifications a worker sends ===== */
typedef struct {
    IMAPIAdviseSink *wrapper;
    int first;       /* numbers the batches */
    int batches;
    ULONG answers[4];
    int bad;         /* send an unknown event type instead */
    int dispatch;    /* call HrDispatchNotifications instead of sending */
    HRESULT dispatched;
} Work;

static void *worker(void *arg)
{
    Work *w = (Work *)arg;
    if (w->dispatch) {
        w->dispatched = HrDispatchNotifications(0);
        return NULL;
    }
    for (int b = 0; b < w->batches; b++) {
        BYTE eid[8] = {0, 0, 0, 0, (BYTE)(w->first + b), 1, 2, 3};
        char cls[16];
        SPropValue prop;
        NOTIFICATION n[2];
        memset(n, 0, sizeof n);
        memset(&prop, 0, sizeof prop);
        strcpy(cls, "IPM.Note");
        cls[8] = (char)('0' + (w->first + b) % 10);
        cls[9] = 0;
        n[0].ulEventType = w->bad ? 0x12345 : fnevNewMail;
        n[0].info.newmail.cbEntryID = sizeof eid;
        n[0].info.newmail.lpEntryID = (LPENTRYID)eid;
        n[0].info.newmail.lpszMessageClass = (LPTSTR)cls;
        prop.ulPropTag = PR_ROWID;
        prop.Value.l = 100 + w->first + b;
        n[1].ulEventType = fnevTableModified;
        n[1].info.tab.ulTableEvent = TABLE_ROW_ADDED;
        n[1].info.tab.propIndex.ulPropTag = PR_NULL;
        n[1].info.tab.propPrior.ulPropTag = PR_NULL;
        n[1].info.tab.row.cValues = 1;
        n[1].info.tab.row.lpProps = &prop;
        w->answers[b] = w->wrapper->lpVtbl->OnNotify(w->wrapper, 2, n);
        /* The caller's arrays are gone after the call: scribble over them. */
        memset(eid, 0xEE, sizeof eid);
        memset(cls, 'X', sizeof cls - 1);
        prop.Value.l = -5;
        memset(n, 0xCC, sizeof n);
    }
    return NULL;
}

static void run(Work *w)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, worker, w) == 0);
    pthread_join(t, NULL);
}

static void threads(void)
{
    Sink sink;
    memset(&sink, 0, sizeof sink);
    sink.iface.lpVtbl = &sink_vtbl;
    sink.refs = 1;
    IMAPIAdviseSink *wrap = NULL;
    CHECK_OK(HrThisThreadAdviseSink(&sink.iface, &wrap));
    CHECK(wrap != NULL && wrap != &sink.iface && sink.refs == 2);
    if (!wrap)
        return;

    /* QueryInterface answers IMAPIAdviseSink with the same object. */
    LPVOID same = NULL;
    CHECK_OK(wrap->lpVtbl->QueryInterface(wrap, &IID_IMAPIAdviseSink, &same));
    CHECK(same == wrap);
    CHECK(wrap->lpVtbl->Release(wrap) == 1);

    /* Three batches from a worker: queued, not delivered. */
    Work w = {wrap, 1, 3, {9, 9, 9, 9}, 0, 0, 0};
    run(&w);
    CHECK(w.answers[0] == S_OK && w.answers[1] == S_OK && w.answers[2] == S_OK);
    CHECK(sink.calls == 0);

    /* Dispatching on another thread delivers nothing of this thread's wrapper. */
    Work d = {wrap, 0, 0, {0}, 0, 1, -1};
    run(&d);
    CHECK_OK(d.dispatched);
    CHECK(sink.calls == 0);

    CHECK_HR(HrDispatchNotifications(1), MAPI_E_UNKNOWN_FLAGS);
    CHECK(sink.calls == 0);
    CHECK_OK(HrDispatchNotifications(0));
    CHECK(sink.calls == 3 && sink.wrong_thread == 0);
    for (int k = 0; k < 3 && k < sink.calls; k++) {
        char want[32];
        snprintf(want, sizeof want, "IPM.Note%d", 1 + k);
        CHECK(sink.counts[k] == 2);
        CHECK(strcmp(sink.classes[k], want) == 0);
        CHECK(sink.first_id[k] == 1 + k);
        CHECK(sink.row_value[k] == 101 + k);
    }
    /* Nothing left. */
    CHECK_OK(HrDispatchNotifications(0));
    CHECK(sink.calls == 3);

    /* Queued from a worker, then OnNotify on this thread: the queued batch first, then
       this one directly, with the wrapped sink's answer. */
    Work w2 = {wrap, 4, 1, {9}, 0, 0, 0};
    run(&w2);
    CHECK(w2.answers[0] == S_OK && sink.calls == 3);
    BYTE eid[6] = {0, 0, 0, 0, 42, 0};
    NOTIFICATION n;
    memset(&n, 0, sizeof n);
    n.ulEventType = fnevNewMail;
    n.info.newmail.cbEntryID = sizeof eid;
    n.info.newmail.lpEntryID = (LPENTRYID)eid;
    n.info.newmail.lpszMessageClass = (LPTSTR) "IPM.Direct";
    CHECK(wrap->lpVtbl->OnNotify(wrap, 1, &n) == 7);
    CHECK(sink.calls == 5 && sink.wrong_thread == 0);
    CHECK(strcmp(sink.classes[3], "IPM.Note4") == 0 && sink.row_value[3] == 104);
    CHECK(strcmp(sink.classes[4], "IPM.Direct") == 0 && sink.first_id[4] == 42);
    CHECK(sink.counts[4] == 1);

    /* A zero count on this thread: passed on as it is. */
    CHECK(wrap->lpVtbl->OnNotify(wrap, 0, NULL) == 7);
    CHECK(sink.calls == 6 && sink.counts[5] == 0);

    /* Notifications ScCopyNotifications refuses: the refusal, nothing queued. */
    Work bad = {wrap, 9, 1, {0}, 1, 0, 0};
    run(&bad);
    CHECK(bad.answers[0] == (ULONG)MAPI_E_INVALID_PARAMETER);
    CHECK_OK(HrDispatchNotifications(0));
    CHECK(sink.calls == 6);

    /* Queued batches die with the wrapper, undelivered; the wrapped sink is let go. */
    Work w3 = {wrap, 7, 2, {9, 9}, 0, 0, 0};
    run(&w3);
    CHECK(sink.refs == 2);
    CHECK(wrap->lpVtbl->Release(wrap) == 0);
    CHECK(sink.refs == 1);
    CHECK_OK(HrDispatchNotifications(0));
    CHECK(sink.calls == 6);

    /* Refusals: the out-pointer NULL, no reference taken. */
    wrap = (IMAPIAdviseSink *)1;
    CHECK_HR(HrThisThreadAdviseSink(NULL, &wrap), MAPI_E_INVALID_PARAMETER);
    CHECK(wrap == NULL);
    CHECK_HR(HrThisThreadAdviseSink(&sink.iface, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK(sink.refs == 1);
}

/* A wrapper made on a worker thread: the main thread's dispatch does not deliver its
   notifications; the worker's does, on the worker. */
typedef struct {
    Sink *sink;
    IMAPIAdviseSink *wrap;
    pthread_t self;
} Owner;

static void *owner_make(void *arg)
{
    Owner *o = (Owner *)arg;
    o->self = pthread_self();
    CHECK_OK(HrThisThreadAdviseSink(&o->sink->iface, &o->wrap));
    return NULL;
}

static void other_owner(void)
{
    Sink sink;
    memset(&sink, 0, sizeof sink);
    sink.iface.lpVtbl = &sink_vtbl;
    sink.refs = 1;
    Owner o = {&sink, NULL, main_thread};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, owner_make, &o) == 0);
    pthread_join(t, NULL);
    if (!o.wrap)
        return;
    /* The main thread is "another thread" for this wrapper: its OnNotify queues. */
    BYTE eid[5] = {0, 0, 0, 0, 5};
    NOTIFICATION n;
    memset(&n, 0, sizeof n);
    n.ulEventType = fnevNewMail;
    n.info.newmail.cbEntryID = sizeof eid;
    n.info.newmail.lpEntryID = (LPENTRYID)eid;
    n.info.newmail.lpszMessageClass = (LPTSTR) "IPM.Queued";
    CHECK(o.wrap->lpVtbl->OnNotify(o.wrap, 1, &n) == S_OK);
    CHECK_OK(HrDispatchNotifications(0));
    CHECK(sink.calls == 0);
    CHECK(o.wrap->lpVtbl->Release(o.wrap) == 0);
    CHECK(sink.refs == 1 && sink.calls == 0);
}

int main(void)
{
    main_thread = pthread_self();
    threads();
    other_owner();
    return check_report("thread_sink");
}
