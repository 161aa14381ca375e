// copy_progress_cpp.cpp - CopyTo/CopyProps with MAPI_DIALOG and a caller's IMAPIProgress written
// in C++ (as MFCMAPI passes one), and the problems of sub-objects in the problem array.
//
// The progress object behaves as Microsoft's "Implementing a progress indicator" asks: flags
// start as MAPI_TOP_LEVEL, limits as 1..1000; SetLimits with MAPI_TOP_LEVEL sets the global
// limits, without it the local ones, which GetMin/GetMax answer while the flag is clear. It
// logs every call with the state it was made in, and the checks follow "Display a progress
// indicator": GetFlags first, values never going back and within the global limits and the
// limits last set, count/total only at the top level (0..total, one per item), sub-objects
// reading their share with GetMin/GetMax, the first value the global minimum and the last
// the maximum, the object left as it was found. Copies: one of our messages (properties, two
// recipients, a by-value attachment and an embedded message) into another of ours and into
// the in-memory IMessage of copy_fixture.h; an attachment; CopyProps; a caller that is itself
// a sub-object (flags clear, limits 200..400); without MAPI_DIALOG nothing is called.
// Problems: a destination that refuses a property of an attachment and of the embedded
// message, cannot map a named property used at every level, and fails one CreateAttach or its
// ModifyRecipients; each problem is reported with its tag and the sub-object it is in.
#include "copy_fixture.h"

// ----- the progress object -----

struct Call {
    char what; // F GetFlags, n GetMin, x GetMax, S SetLimits, P Progress
    ULONG a, b, c; // Progress: value, count, total; SetLimits: min, max, flags
    ULONG flags, lo, hi; // the state when called: flags and the limits in force
};

class TestProgress : public IMAPIProgress {
public:
    ULONG refs = 1;
    ULONG flags = MAPI_TOP_LEVEL, gmin = 1, gmax = 1000, lmin = 1, lmax = 1000;
    std::vector<Call> calls;

    ULONG lo() const { return (flags & MAPI_TOP_LEVEL) ? gmin : lmin; }
    ULONG hi() const { return (flags & MAPI_TOP_LEVEL) ? gmax : lmax; }
    void log(char what, ULONG a = 0, ULONG b = 0, ULONG c = 0) { calls.push_back({what, a, b, c, flags, lo(), hi()}); }

    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppv) override
    {
        if (riid == IID_IUnknown || riid == IID_IMAPIProgress) {
            *ppv = this;
            AddRef();
            return S_OK;
        }
        *ppv = nullptr;
        return E_NOINTERFACE;
    }
    ULONG STDMETHODCALLTYPE AddRef() override { return ++refs; }
    ULONG STDMETHODCALLTYPE Release() override { return --refs; } // lives on the stack
    HRESULT STDMETHODCALLTYPE Progress(ULONG value, ULONG count, ULONG total) override
    {
        log('P', value, count, total);
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetFlags(ULONG *f) override
    {
        log('F');
        *f = flags;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetMax(ULONG *m) override
    {
        log('x');
        *m = hi();
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetMin(ULONG *m) override
    {
        log('n');
        *m = lo();
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE SetLimits(ULONG *min, ULONG *max, ULONG *f) override
    {
        log('S', *min, *max, *f);
        flags = *f;
        if (flags & MAPI_TOP_LEVEL) {
            gmin = *min;
            gmax = *max;
        } else {
            lmin = *min;
            lmax = *max;
        }
        return S_OK;
    }
    size_t count(char what, bool top) const
    {
        size_t n = 0;
        for (const Call &c : calls)
            if (c.what == what && ((c.flags & MAPI_TOP_LEVEL) != 0) == top)
                n++;
        return n;
    }
};

// The checks every run must pass. `items`: the top level's item count (0 when the caller is
// itself a sub-object); `nested`: sub-objects that show their own progress.
static void check_progress(const TestProgress &p, ULONG lo, ULONG hi, ULONG items, size_t nested)
{
    CHECK(!p.calls.empty() && p.calls[0].what == 'F');
    ULONG last = 0, count = 0;
    const Call *first = nullptr, *final = nullptr;
    for (const Call &c : p.calls) {
        if (c.what == 'S') {
            CHECK(c.a <= c.b);
            CHECK(c.a >= lo && c.b <= hi);
            if (items == 0)
                CHECK(!(c.c & MAPI_TOP_LEVEL));
            continue;
        }
        if (c.what != 'P')
            continue;
        if (!first)
            first = &c;
        final = &c;
        CHECK(c.a >= last);
        last = c.a;
        CHECK(c.a >= lo && c.a <= hi);
        CHECK(c.a >= c.lo && c.a <= c.hi); // within the limits last set
        if (c.flags & MAPI_TOP_LEVEL) {
            CHECK(c.c == items);
            CHECK(c.b == (first == &c ? 0 : count + 1));
            count = c.b;
        } else {
            CHECK(c.b == 0 && c.c == 0);
        }
    }
    CHECK(first && first->a == (items ? lo : first->a));
    CHECK(final && final->a == hi);
    if (items)
        CHECK(final && final->b == items && count == items);
    // One GetFlags per level; the sub-objects find the flag clear and read their share.
    CHECK(p.count('F', true) == (items ? 1u : 0u));
    CHECK(p.count('F', false) == nested + (items ? 0 : 1));
    CHECK(p.count('n', false) == p.count('F', false) && p.count('x', false) == p.count('F', false));
    // Left as found.
    if (items)
        CHECK(p.flags == MAPI_TOP_LEVEL && p.gmin == lo && p.gmax == hi);
    else
        CHECK(p.flags == 0 && p.lmin == lo && p.lmax == hi);
}

static void dump_calls(const TestProgress &p)
{
    if (!getenv("IMSG_PROGRESS_TRACE"))
        return;
    for (const Call &c : p.calls)
        printf("  %c %lu %lu %lu  [flags %lu, %lu..%lu]\n", c.what, (unsigned long)c.a, (unsigned long)c.b,
               (unsigned long)c.c, (unsigned long)c.flags, (unsigned long)c.lo, (unsigned long)c.hi);
}

static void source(const char *name, IStorage **stg, LPMESSAGE *msg)
{
    new_msg(name, stg, msg);
    fill(*msg);
    save(*stg, *msg); // attachments show in the table once saved
}

// Full copies with a progress object, into ours and into the in-memory message.
static void progress_of_copies()
{
    IStorage *s1 = nullptr, *s2 = nullptr;
    LPMESSAGE src = nullptr, dst = nullptr;
    source("p1.msg", &s1, &src);

    // Into another of ours: 4 items (properties, recipients, 2 attachments); 3 sub-objects
    // show progress (the 2 attachments and the embedded message).
    new_msg("p2.msg", &s2, &dst);
    TestProgress p;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, &p, &IID_IMessage, dst, MAPI_DIALOG, nullptr));
    dump_calls(p);
    check_progress(p, 1, 1000, 4, 3);
    CHECK(p.refs == 1);
    save(s2, dst);
    dst->Release();
    s2->Release();
    reopen("p2.msg", &s2, &dst);
    check_ours(dst);
    dst->Release();
    s2->Release();

    // Into the in-memory IMessage, with other global limits set by the caller.
    MemMessage *mem = new MemMessage();
    TestProgress q;
    q.gmin = 0;
    q.gmax = 99;
    LPSPropProblemArray pr = nullptr;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, &q, &IID_IMessage, static_cast<IMessage *>(mem), MAPI_DIALOG, &pr));
    MAPIFreeBuffer(pr);
    dump_calls(q);
    check_progress(q, 0, 99, 4, 3);
    check_mem(mem);
    mem->Release();

    // The caller is itself showing a sub-object's progress: flags clear, its share 200..400.
    new_msg("p3.msg", &s2, &dst);
    TestProgress r;
    r.flags = 0;
    r.lmin = 200;
    r.lmax = 400;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, &r, &IID_IMessage, dst, MAPI_DIALOG, nullptr));
    dump_calls(r);
    check_progress(r, 200, 400, 0, 3);
    dst->Release();
    s2->Release();

    // CopyProps of one property: one item.
    new_msg("p4.msg", &s2, &dst);
    TestProgress s;
    SizedSPropTagArray(1, inc) = {1, {PR_SUBJECT_W}};
    CHECK_OK(src->CopyProps(reinterpret_cast<LPSPropTagArray>(&inc), 0, &s, &IID_IMessage, dst, MAPI_DIALOG, nullptr));
    check_progress(s, 1, 1000, 1, 0);
    CHECK(s.calls.size() == 6); // GetFlags, GetMin, GetMax, SetLimits, Progress(1,0,1), Progress(1000,1,1)

    // Without MAPI_DIALOG the progress object is not called; with it and no object, no harm.
    TestProgress none;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, &none, &IID_IMessage, dst, 0, nullptr));
    CHECK_OK(src->CopyProps(reinterpret_cast<LPSPropTagArray>(&inc), 0, &none, &IID_IMessage, dst, 0, nullptr));
    CHECK(none.calls.empty());
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, MAPI_DIALOG, nullptr));
    dst->Release();
    s2->Release();

    // An attachment holding an embedded message, into a new attachment: 2 items (its
    // properties, its object), 1 sub-object (the embedded message).
    new_msg("p5.msg", &s2, &dst);
    LPMAPITABLE t = nullptr;
    LPSRowSet rows = nullptr;
    CHECK_OK(src->GetAttachmentTable(0, &t));
    SizedSPropTagArray(2, cols) = {2, {PR_ATTACH_NUM, PR_ATTACH_METHOD}};
    CHECK_OK(HrQueryAllRows(t, reinterpret_cast<LPSPropTagArray>(&cols), nullptr, nullptr, 0, &rows));
    for (ULONG i = 0; rows && i < rows->cRows; i++) {
        if (rows->aRow[i].lpProps[1].Value.l != ATTACH_EMBEDDED_MSG)
            continue;
        LPATTACH a = nullptr, b = nullptr;
        ULONG num = 0;
        CHECK_OK(src->OpenAttach(rows->aRow[i].lpProps[0].Value.l, nullptr, 0, &a));
        CHECK_OK(dst->CreateAttach(nullptr, 0, &num, &b));
        TestProgress u;
        if (a && b) {
            CHECK_OK(a->CopyTo(0, nullptr, nullptr, 0, &u, &IID_IAttachment, b, MAPI_DIALOG, nullptr));
            check_progress(u, 1, 1000, 2, 1);
            LPMESSAGE in = nullptr;
            CHECK_OK(b->OpenProperty(PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, reinterpret_cast<LPUNKNOWN *>(&in)));
            LPSPropValue v = nullptr;
            if (in) {
                CHECK_OK(HrGetOneProp(in, PR_SUBJECT_W, &v));
                CHECK(str_is(v, W_INNER));
                MAPIFreeBuffer(v);
                in->Release();
            }
        }
        if (b)
            b->Release();
        if (a)
            a->Release();
    }
    FreeProws(rows);
    t->Release();
    dst->Release();
    s2->Release();
    src->Release();
    s1->Release();
}

// ----- problems in sub-objects -----

// The in-memory message, refusing things: a property of an attachment and one of an embedded
// message (answered in SetProps' problem arrays), one name (GetIDsFromNames cannot map it),
// CreateAttach after a number of calls, ModifyRecipients.
struct Refusals {
    ULONG attach_tag = PR_NULL, embedded_tag = PR_NULL; // refused with these SCODEs
    SCODE attach_sc = 0, embedded_sc = 0;
    wstr unmappable;
    int attaches_left = -1; // CreateAttach fails with MAPI_E_NO_ACCESS when 0
    HRESULT recipients_hr = S_OK;
};

template <class T>
static HRESULT refusing_set(T *self, ULONG refused, SCODE sc, ULONG n, LPSPropValue v, LPSPropProblemArray *pr)
{
    std::vector<SPropValue> keep;
    std::vector<ULONG> bad;
    for (ULONG i = 0; i < n; i++) {
        if (v[i].ulPropTag == refused)
            bad.push_back(i);
        else
            keep.push_back(v[i]);
    }
    self->MemProp<typename T::Iface>::SetProps(keep.size(), keep.data(), nullptr);
    if (pr) {
        *pr = nullptr;
        if (!bad.empty()) {
            MAPIAllocateBuffer(CbNewSPropProblemArray(bad.size()), reinterpret_cast<void **>(pr));
            (*pr)->cProblem = bad.size();
            for (size_t i = 0; i < bad.size(); i++)
                (*pr)->aProblem[i] = {bad[i], v[bad[i]].ulPropTag, sc};
        }
    }
    return S_OK;
}

static HRESULT refusing_names(NameMap *names, const Refusals *r, ULONG n, LPMAPINAMEID *in, ULONG flags,
                              LPSPropTagArray *out)
{
    LPSPropTagArray arr = nullptr;
    MAPIAllocateBuffer(CbNewSPropTagArray(n), reinterpret_cast<void **>(&arr));
    arr->cValues = n;
    bool warn = false;
    for (ULONG i = 0; i < n; i++) {
        Name nm{*in[i]->lpguid, in[i]->ulKind, 0, wstr()};
        if (nm.kind == MNID_ID)
            nm.lid = in[i]->Kind.lID;
        else
            nm.str = in[i]->Kind.lpwstrName;
        ULONG id = nm.kind == MNID_STRING && nm.str == r->unmappable ? 0 : names->id_of(nm, (flags & MAPI_CREATE) != 0);
        arr->aulPropTag[i] = id ? PROP_TAG(PT_UNSPECIFIED, id) : PROP_TAG(PT_ERROR, 0);
        warn |= id == 0;
    }
    *out = arr;
    return warn ? MAPI_W_ERRORS_RETURNED : S_OK;
}

class PickyMessage : public MemMessage {
public:
    typedef IMessage Iface;
    Refusals *r;
    bool embedded_level;
    PickyMessage(NameMap *n, Refusals *refusals, bool embedded = false)
        : MemMessage(n), r(refusals), embedded_level(embedded)
    {
    }
    HRESULT STDMETHODCALLTYPE SetProps(ULONG n, LPSPropValue v, LPSPropProblemArray *pr) override
    {
        return refusing_set(this, embedded_level ? r->embedded_tag : PR_NULL, r->embedded_sc, n, v, pr);
    }
    HRESULT STDMETHODCALLTYPE GetIDsFromNames(ULONG n, LPMAPINAMEID *in, ULONG flags, LPSPropTagArray *out) override
    {
        return refusing_names(names, r, n, in, flags, out);
    }
    HRESULT STDMETHODCALLTYPE CreateAttach(LPCIID, ULONG, ULONG *num, LPATTACH *att) override;
    HRESULT STDMETHODCALLTYPE ModifyRecipients(ULONG flags, LPADRLIST list) override
    {
        return FAILED(r->recipients_hr) ? r->recipients_hr : MemMessage::ModifyRecipients(flags, list);
    }
};

class PickyAttach : public MemAttach {
public:
    typedef IAttach Iface;
    Refusals *r;
    PickyAttach(NameMap *n, Refusals *refusals) : MemAttach(n), r(refusals) {}
    HRESULT STDMETHODCALLTYPE SetProps(ULONG n, LPSPropValue v, LPSPropProblemArray *pr) override
    {
        return refusing_set(this, r->attach_tag, r->attach_sc, n, v, pr);
    }
    HRESULT STDMETHODCALLTYPE GetIDsFromNames(ULONG n, LPMAPINAMEID *in, ULONG flags, LPSPropTagArray *out) override
    {
        return refusing_names(names, r, n, in, flags, out);
    }
    HRESULT STDMETHODCALLTYPE OpenProperty(ULONG tag, LPCIID iid, ULONG o, ULONG flags, LPUNKNOWN *out) override
    {
        if (tag == PR_ATTACH_DATA_OBJ && *iid == IID_IMessage && !embedded && (flags & MAPI_CREATE))
            embedded = new PickyMessage(names, r, true);
        return MemAttach::OpenProperty(tag, iid, o, flags, out);
    }
};

HRESULT PickyMessage::CreateAttach(LPCIID, ULONG, ULONG *num, LPATTACH *att)
{
    if (r->attaches_left == 0)
        return MAPI_E_NO_ACCESS;
    if (r->attaches_left > 0)
        r->attaches_left--;
    PickyAttach *a = new PickyAttach(names, r);
    attachments.push_back(a);
    a->AddRef();
    *num = attachments.size() - 1;
    *att = a;
    return S_OK;
}

static bool has_problem(LPSPropProblemArray pr, ULONG index, ULONG tag, SCODE sc)
{
    for (ULONG i = 0; pr && i < pr->cProblem; i++)
        if (pr->aProblem[i].ulIndex == index && pr->aProblem[i].ulPropTag == tag && pr->aProblem[i].scode == sc)
            return true;
    fprintf(stderr, "missing problem {%lu, 0x%08lX, 0x%08lX}\n", (unsigned long)index, (unsigned long)tag,
            (unsigned long)(ULONG)sc);
    return false;
}

static void print_problems(const char *what, LPSPropProblemArray pr)
{
    printf("%s: %lu problem(s)\n", what, pr ? (unsigned long)pr->cProblem : 0ul);
    for (ULONG i = 0; pr && i < pr->cProblem; i++)
        printf("  {%lu, 0x%08lX, 0x%08lX}\n", (unsigned long)pr->aProblem[i].ulIndex,
               (unsigned long)pr->aProblem[i].ulPropTag, (unsigned long)(ULONG)pr->aProblem[i].scode);
}

// The source's attachment numbers in table order, and which of them is by value.
static std::vector<std::pair<ULONG, LONG>> attachments_of(LPMESSAGE msg)
{
    std::vector<std::pair<ULONG, LONG>> out;
    LPMAPITABLE t = nullptr;
    LPSRowSet rows = nullptr;
    CHECK_OK(msg->GetAttachmentTable(0, &t));
    SizedSPropTagArray(2, cols) = {2, {PR_ATTACH_NUM, PR_ATTACH_METHOD}};
    CHECK_OK(HrQueryAllRows(t, reinterpret_cast<LPSPropTagArray>(&cols), nullptr, nullptr, 0, &rows));
    for (ULONG i = 0; rows && i < rows->cRows; i++)
        out.push_back({rows->aRow[i].lpProps[0].Value.l, rows->aRow[i].lpProps[1].Value.l});
    FreeProws(rows);
    if (t)
        t->Release();
    return out;
}

static void sub_object_problems()
{
    IStorage *s1 = nullptr, *s2 = nullptr;
    LPMESSAGE src = nullptr, dst = nullptr;
    new_msg("q1.msg", &s1, &src);
    fill(src);
    add_by_value(src); // a third attachment
    save(s1, src);
    std::vector<std::pair<ULONG, LONG>> atts = attachments_of(src);
    CHECK(atts.size() == 3);
    if (atts.size() != 3)
        return;
    ULONG kw = named_tag(src, W_KEYWORD, PT_UNICODE);

    // The in-memory destination cannot map the keyword (used by the message, both recipients
    // and the embedded message), refuses an attachment's file name and the embedded message's
    // subject, and fails its third CreateAttach.
    Refusals r;
    r.unmappable = W_KEYWORD;
    r.attach_tag = PR_ATTACH_FILENAME_W;
    r.attach_sc = MAPI_E_INVALID_TYPE;
    r.embedded_tag = PR_SUBJECT_W;
    r.embedded_sc = MAPI_E_COMPUTED;
    r.attaches_left = 2;
    NameMap names;
    PickyMessage *picky = new PickyMessage(&names, &r);
    LPSPropProblemArray pr = nullptr;
    TestProgress p;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, &p, &IID_IMessage, static_cast<IMessage *>(picky), MAPI_DIALOG, &pr));
    print_problems("into a refusing IMessage", pr);
    // 5 items: the failed attachment is still one; 2 attachments and 1 embedded message nest.
    check_progress(p, 1, 1000, 5, 3);
    const ULONG by_value_first = atts[0].second == ATTACH_BY_VALUE ? atts[0].first : atts[1].first;
    ULONG embedded = 0;
    for (auto &x : atts)
        if (x.second == ATTACH_EMBEDDED_MSG)
            embedded = x.first;
    CHECK(pr && pr->cProblem == 7);
    bool top_kw = false;
    for (ULONG i = 0; pr && i < pr->cProblem; i++)
        if (pr->aProblem[i].ulPropTag == kw && pr->aProblem[i].scode == MAPI_E_NOT_FOUND &&
            pr->aProblem[i].ulIndex < 10)
            top_kw = true;
    CHECK(top_kw);                                           // the message's own named property
    CHECK(has_problem(pr, 0, kw, MAPI_E_NOT_FOUND));         // recipient row 0
    CHECK(has_problem(pr, 1, kw, MAPI_E_NOT_FOUND));         // recipient row 1
    CHECK(has_problem(pr, by_value_first, PR_ATTACH_FILENAME_W, MAPI_E_INVALID_TYPE));
    CHECK(has_problem(pr, embedded, PR_SUBJECT_W, MAPI_E_COMPUTED)); // inside the embedded message
    CHECK(has_problem(pr, embedded, kw, MAPI_E_NOT_FOUND));
    CHECK(has_problem(pr, atts[2].first, PR_MESSAGE_ATTACHMENTS, MAPI_E_NO_ACCESS)); // the third CreateAttach
    MAPIFreeBuffer(pr);
    // What could be copied was.
    CHECK(str_is(picky->props.get(PR_SUBJECT_W), W_SUBJECT));
    CHECK(picky->recips.size() == 2);
    CHECK(picky->attachments.size() == 2);
    int embedded_seen = 0;
    for (MemAttach *x : picky->attachments) {
        CHECK(x->props.get(PR_ATTACH_FILENAME_W) == nullptr);
        CHECK(x->props.get(PR_ATTACH_METHOD) != nullptr);
        if (x->embedded) {
            embedded_seen++;
            CHECK(x->embedded->props.get(PR_SUBJECT_W) == nullptr);
        }
    }
    CHECK(embedded_seen == 1);
    picky->Release();

    // ModifyRecipients failing: one problem for the recipient set; the call succeeds.
    Refusals rr;
    rr.recipients_hr = MAPI_E_NOT_ENOUGH_MEMORY;
    NameMap names2;
    PickyMessage *m2 = new PickyMessage(&names2, &rr);
    SizedSPropTagArray(1, inc) = {1, {PR_MESSAGE_RECIPIENTS}};
    pr = nullptr;
    CHECK_OK(src->CopyProps(reinterpret_cast<LPSPropTagArray>(&inc), 0, nullptr, &IID_IMessage,
                            static_cast<IMessage *>(m2), 0, &pr));
    print_problems("ModifyRecipients failing", pr);
    CHECK(pr && pr->cProblem == 1);
    CHECK(has_problem(pr, 0, PR_MESSAGE_RECIPIENTS, MAPI_E_NOT_ENOUGH_MEMORY));
    MAPIFreeBuffer(pr);
    m2->Release();

    // Ours into ours: the attachments' computed properties are problems of their attachment.
    new_msg("q2.msg", &s2, &dst);
    pr = nullptr;
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, 0, &pr));
    print_problems("ours into ours", pr);
    for (ULONG i = 0; pr && i < pr->cProblem; i++)
        CHECK(pr->aProblem[i].scode == MAPI_E_COMPUTED || pr->aProblem[i].scode == MAPI_E_NO_ACCESS);
    MAPIFreeBuffer(pr);
    save(s2, dst);
    std::vector<std::pair<ULONG, LONG>> copied = attachments_of(dst);
    CHECK(copied.size() == 3);
    LPSPropValue v = nullptr;
    CHECK_OK(HrGetOneProp(dst, PR_SUBJECT_W, &v));
    CHECK(str_is(v, W_SUBJECT));
    MAPIFreeBuffer(v);
    dst->Release();
    s2->Release();
    src->Release();
    s1->Release();
}

int main()
{
    if (!test_dir_create("imsg-copy-progress"))
        return 1;
    progress_of_copies();
    sub_object_problems();
    test_dir_remove();
    return check_report("copy_progress_cpp");
}
