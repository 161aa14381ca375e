// copy_cpp.cpp - IMAPIProp::CopyTo/CopyProps (spec/mapi-abi.md §10.2) against an IMessage that
// is not ours: a small in-memory IMessage/IAttach (copy_fixture.h) written by subclassing the
// header's interfaces. (a) "load from .msg": our message CopyTo the in-memory one; (b) "save as .msg":
// the in-memory message's own CopyTo drives our message through its vtable, which is saved,
// reopened and compared; (c) our -> our between two files: exclusions, MAPI_NOREPLACE,
// CopyProps, argument errors, a large value through streams, 10,000 recipients.
#include "copy_fixture.h"

static void load_from_msg()
{
    IStorage *stg = nullptr;
    LPMESSAGE ours = nullptr;
    new_msg("a.msg", &stg, &ours);
    fill(ours);
    save(stg, ours);
    check_ours(ours);
    MemMessage *mem = new MemMessage();
    // Something in the destination's map already, so the ids differ from ours.
    mem->names->id_of(Name{PS_TEST, MNID_ID, 7, wstr()}, true);
    SizedSPropTagArray(2, excl) = {2, {PR_ACCESS, PR_MESSAGE_SIZE}};
    LPSPropProblemArray pr = nullptr;
    CHECK_OK(ours->CopyTo(0, nullptr, reinterpret_cast<LPSPropTagArray>(&excl), 0, nullptr, &IID_IMessage,
                          static_cast<IMessage *>(mem), MAPI_DIALOG, &pr));
    MAPIFreeBuffer(pr);
    check_mem(mem);
    // Our embedded message is Unicode, so the copy asked for a Unicode one with MAPI_UNICODE;
    // the in-memory attachment refuses the flag, and the copy did without it.
    CHECK(mem->attachments.size() == 2 && mem->attachments[1]->refused_flags == 1);
    CHECK(mem->props.get(PR_ACCESS) == nullptr && mem->props.get(PR_MESSAGE_SIZE) == nullptr);
    CHECK(mem->refs == 1);

    // (b) the in-memory message's CopyTo into a new one of ours, saved, reopened, compared.
    IStorage *stg2 = nullptr;
    LPMESSAGE dest = nullptr;
    new_msg("b.msg", &stg2, &dest);
    // A named property first, so ours maps the keyword to another id than the source did.
    named_tag(dest, ws("unrelated"), PT_LONG);
    CHECK_OK(mem->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dest, 0, nullptr));
    save(stg2, dest);
    stg2->Release();
    dest->Release();
    reopen("b.msg", &stg2, &dest);
    check_ours(dest);
    dest->Release();
    stg2->Release();
    mem->Release();
    ours->Release();
    stg->Release();
}

static void our_to_our()
{
    IStorage *s1 = nullptr, *s2 = nullptr;
    LPMESSAGE src = nullptr, dst = nullptr;
    new_msg("c1.msg", &s1, &src);
    new_msg("c2.msg", &s2, &dst);
    fill(src);
    // (Attachments show in the table only once the message is saved.)
    save(s1, src);
    // A 2 MB value, copied through streams.
    std::vector<BYTE> big(2 * 1024 * 1024);
    for (size_t i = 0; i < big.size(); i++)
        big[i] = static_cast<BYTE>(i * 7);
    SPropValue b = pv_bin(PR_RTF_COMPRESSED, big.size(), big.data());
    CHECK_OK(src->SetProps(1, &b, nullptr));

    // Errors.
    LPSPropProblemArray pr = reinterpret_cast<LPSPropProblemArray>(1);
    CHECK_HR(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, 0x100, &pr), MAPI_E_UNKNOWN_FLAGS);
    CHECK(pr == nullptr);
    CHECK_HR(src->CopyTo(0, nullptr, nullptr, 0, nullptr, nullptr, dst, 0, nullptr), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IStorage, dst, 0, nullptr),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK_HR(src->CopyTo(1, &IID_IMessage, nullptr, 0, nullptr, &IID_IMessage, dst, 0, nullptr),
             MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK_HR(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, src, 0, nullptr), MAPI_E_NO_ACCESS);
    SizedSPropTagArray(1, nul) = {1, {PR_NULL}};
    CHECK_HR(src->CopyTo(0, nullptr, reinterpret_cast<LPSPropTagArray>(&nul), 0, nullptr, &IID_IMessage, dst, 0,
                         nullptr),
             MAPI_E_INVALID_PARAMETER);
    CHECK_HR(src->CopyProps(nullptr, 0, nullptr, &IID_IMessage, dst, 0, nullptr), MAPI_E_INVALID_PARAMETER);

    // CopyProps: only the subject.
    SizedSPropTagArray(1, inc) = {1, {PR_SUBJECT_W}};
    CHECK_OK(src->CopyProps(reinterpret_cast<LPSPropTagArray>(&inc), 0, nullptr, &IID_IMessage, dst, 0, nullptr));
    LPSPropValue v = nullptr;
    CHECK_OK(HrGetOneProp(dst, PR_SUBJECT_W, &v));
    CHECK(str_is(v, W_SUBJECT));
    MAPIFreeBuffer(v);
    CHECK_HR(HrGetOneProp(dst, PR_BODY_W, &v), MAPI_E_NOT_FOUND);

    // MAPI_NOREPLACE keeps the destination's subject; exclusion by id with another type;
    // recipients and attachments excluded.
    static wstr keep = ws("keep me");
    SPropValue k = pv_str(PR_SUBJECT_W, keep);
    CHECK_OK(dst->SetProps(1, &k, nullptr));
    SizedSPropTagArray(3, excl) = {3, {CHANGE_PROP_TYPE(PR_BODY_W, PT_LONG), PR_MESSAGE_RECIPIENTS,
                                       PR_MESSAGE_ATTACHMENTS}};
    pr = nullptr;
    CHECK_OK(src->CopyTo(0, nullptr, reinterpret_cast<LPSPropTagArray>(&excl), 0, nullptr, &IID_IMessage, dst,
                         MAPI_NOREPLACE, &pr));
    for (ULONG i = 0; pr && i < pr->cProblem; i++)
        CHECK(pr->aProblem[i].scode == MAPI_E_COMPUTED || pr->aProblem[i].scode == MAPI_E_NO_ACCESS);
    MAPIFreeBuffer(pr);
    CHECK_OK(HrGetOneProp(dst, PR_SUBJECT_W, &v));
    CHECK(str_is(v, keep));
    MAPIFreeBuffer(v);
    CHECK_HR(HrGetOneProp(dst, PR_BODY_W, &v), MAPI_E_NOT_FOUND);
    LPMAPITABLE t = nullptr;
    ULONG n = 99;
    CHECK_OK(dst->GetRecipientTable(0, &t));
    CHECK_OK(t->GetRowCount(0, &n));
    CHECK(n == 0);
    t->Release();
    CHECK_OK(dst->GetAttachmentTable(0, &t));
    CHECK_OK(t->GetRowCount(0, &n));
    CHECK(n == 0);
    t->Release();
    // The large value arrived through streams.
    LPSTREAM st = nullptr;
    CHECK_OK(dst->OpenProperty(PR_RTF_COMPRESSED, &IID_IStream, 0, 0, reinterpret_cast<LPUNKNOWN *>(&st)));
    if (st) {
        std::vector<BYTE> got(big.size() + 10);
        ULONG total = 0, r = 0;
        while (SUCCEEDED(st->Read(got.data() + total, got.size() - total, &r)) && r > 0)
            total += r;
        CHECK(total == big.size() && memcmp(got.data(), big.data(), big.size()) == 0);
        st->Release();
    }

    // A full copy into a fresh message of the second file, saved, reopened, compared.
    dst->Release();
    s2->Release();
    new_msg("c3.msg", &s2, &dst);
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, 0, nullptr));
    save(s2, dst);
    dst->Release();
    s2->Release();
    reopen("c3.msg", &s2, &dst);
    check_ours(dst);
    dst->Release();
    s2->Release();

    // 10,000 recipients; IMSG_COPY_RECIPIENTS gives another number (the Windows tier's run
    // over Wine's ole32 uses fewer: tests/windows-tier.sh says why).
    const char *count = getenv("IMSG_COPY_RECIPIENTS");
    const ULONG N = count ? strtoul(count, nullptr, 10) : 10000;
    LPADRLIST list = nullptr;
    MAPIAllocateBuffer(CbNewADRLIST(N), reinterpret_cast<void **>(&list));
    list->cEntries = N;
    std::vector<wstr> names(N);
    for (ULONG i = 0; i < N; i++) {
        names[i] = ws(("R" + std::to_string(i)).c_str());
        list->aEntries[i].cValues = 2;
        MAPIAllocateBuffer(2 * sizeof(SPropValue), reinterpret_cast<void **>(&list->aEntries[i].rgPropVals));
        list->aEntries[i].rgPropVals[0] = pv_str(PR_DISPLAY_NAME_W, names[i]);
        list->aEntries[i].rgPropVals[1] = pv_long(PR_RECIPIENT_TYPE, MAPI_BCC);
    }
    CHECK_OK(src->ModifyRecipients(0, list));
    FreePadrlist(list);
    new_msg("c4.msg", &s2, &dst);
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, 0, nullptr));
    save(s2, dst);
    dst->Release();
    s2->Release();
    reopen("c4.msg", &s2, &dst);
    CHECK_OK(dst->GetRecipientTable(MAPI_UNICODE, &t));
    LPSRowSet rows = nullptr;
    SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE}};
    CHECK_OK(HrQueryAllRows(t, reinterpret_cast<LPSPropTagArray>(&cols), nullptr, nullptr, 0, &rows));
    CHECK(rows && rows->cRows == N);
    ULONG good = 0;
    for (ULONG i = 0; rows && i < rows->cRows && i < N; i++)
        if (str_is(&rows->aRow[i].lpProps[0], names[i]) && rows->aRow[i].lpProps[1].Value.l == MAPI_BCC)
            good++;
    CHECK(good == N);
    FreeProws(rows);
    t->Release();
    dst->Release();
    s2->Release();
    src->Release();
    s1->Release();
}

// MAPI_MOVE: the destination gets everything, the source loses its properties, recipients
// and (at its SaveChanges) attachments.
static ULONG rows_of(LPMESSAGE msg, bool attachments)
{
    LPMAPITABLE t = nullptr;
    ULONG n = 0xFFFFFFFF;
    CHECK_OK(attachments ? msg->GetAttachmentTable(0, &t) : msg->GetRecipientTable(0, &t));
    if (t) {
        CHECK_OK(t->GetRowCount(0, &n));
        t->Release();
    }
    return n;
}

static void move_between_files()
{
    IStorage *s1 = nullptr, *s2 = nullptr;
    LPMESSAGE src = nullptr, dst = nullptr;
    new_msg("m1.msg", &s1, &src);
    new_msg("m2.msg", &s2, &dst);
    fill(src);
    save(s1, src);
    CHECK(rows_of(src, false) == 2 && rows_of(src, true) > 0);
    CHECK_OK(src->CopyTo(0, nullptr, nullptr, 0, nullptr, &IID_IMessage, dst, MAPI_MOVE, nullptr));
    save(s2, dst);
    check_ours(dst);
    save(s1, src);
    CHECK(rows_of(src, false) == 0);
    CHECK(rows_of(src, true) == 0);
    LPSPropValue v = nullptr;
    CHECK_HR(HrGetOneProp(src, PR_SUBJECT_W, &v), MAPI_E_NOT_FOUND);
    src->Release();
    dst->Release();
    s1->Release();
    s2->Release();
}

int main()
{
    if (!test_dir_create("imsg-copy"))
        return 1;
    load_from_msg();
    our_to_our();
    move_between_files();
    test_dir_remove();
    return check_report("copy_cpp");
}
