/* wine_msg.c - the Windows tier's cross-check: writes the .msg named on the command line
   over an IStorage from the system's ole32 (Wine's StgCreateDocfile), with a recipient, a
   by-value attachment, an embedded message and a named property; saves and commits;
   reopens it with StgOpenStorage and reads it back. The file is left for the Linux side
   (tests/windows-tier.sh reads it with `imsg dump`). Exit code: failed checks. */
#include <stdlib.h>

#include "check.h"
#include "tags.h"
#include "wide.h"

static const GUID PS_WINE_TEST = {0x1e2d3c4b, 0x5a69, 0x4788, {0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x0f}};

static void set_string(LPMAPIPROP obj, ULONG tag, const char *s)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.lpszW = W(s);
    CHECK_OK(obj->lpVtbl->SetProps(obj, 1, &v, NULL));
}

static void set_long(LPMAPIPROP obj, ULONG tag, LONG l)
{
    SPropValue v;
    v.ulPropTag = tag;
    v.Value.l = l;
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

static ULONG named_tag(LPMAPIPROP obj, ULONG flags)
{
    MAPINAMEID id, *p = &id;
    LPSPropTagArray tags = NULL;
    ULONG tag = 0;
    id.lpguid = (LPGUID)&PS_WINE_TEST;
    id.ulKind = MNID_STRING;
    id.Kind.lpwstrName = W("WineMood");
    CHECK_OK(obj->lpVtbl->GetIDsFromNames(obj, 1, &p, flags, &tags));
    if (tags && tags->cValues == 1)
        tag = PROP_TAG(PT_UNICODE, PROP_ID(tags->aulPropTag[0]));
    MAPIFreeBuffer(tags);
    return tag;
}

static void write_file(LPMSGSESS sess, const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL, inner = NULL;
    LPATTACH att = NULL;
    IStream *data = NULL;
    ULONG num = 0, written = 0;
    SizedADRLIST(1, list);
    SPropValue rv[4];
    static const char payload[] = "attachment bytes from Wine";

    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }
    CHECK_OK(WriteClassStg(stg, &CLSID_MailMessage));
    set_string((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W, "IPM.Note");
    set_string((LPMAPIPROP)msg, PR_SUBJECT_W, "Hello from Wine ole32");
    set_string((LPMAPIPROP)msg, PR_BODY_W, "Body written under Wine.");
    set_string((LPMAPIPROP)msg, PR_SENDER_NAME_W, "Wine Sender");
    set_string((LPMAPIPROP)msg, PR_SENDER_EMAIL_ADDRESS_W, "sender@example.org");
    set_string((LPMAPIPROP)msg, PR_SENDER_ADDRTYPE_W, "SMTP");
    set_string((LPMAPIPROP)msg, named_tag((LPMAPIPROP)msg, MAPI_CREATE), "cheerful");

    rv[0].ulPropTag = PR_DISPLAY_NAME_W;
    rv[0].Value.lpszW = W("Wine Recipient");
    rv[1].ulPropTag = PR_EMAIL_ADDRESS_W;
    rv[1].Value.lpszW = W("wine@example.org");
    rv[2].ulPropTag = PR_RECIPIENT_TYPE;
    rv[2].Value.l = MAPI_TO;
    rv[3].ulPropTag = PR_ADDRTYPE_W;
    rv[3].Value.lpszW = W("SMTP");
    list.cEntries = 1;
    list.aEntries[0].ulReserved1 = 0;
    list.aEntries[0].cValues = 4;
    list.aEntries[0].rgPropVals = rv;
    CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, (LPADRLIST)&list));

    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
        set_string((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, "wine.txt");
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&data));
        if (data) {
            CHECK_OK(data->lpVtbl->Write(data, payload, sizeof(payload) - 1, &written));
            CHECK_OK(data->lpVtbl->Commit(data, STGC_DEFAULT));
            data->lpVtbl->Release(data);
        }
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
        att = NULL;
    }

    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
        set_string((LPMAPIPROP)att, PR_DISPLAY_NAME_W, "Embedded under Wine");
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&inner));
        if (inner) {
            set_string((LPMAPIPROP)inner, PR_MESSAGE_CLASS_W, "IPM.Note");
            set_string((LPMAPIPROP)inner, PR_SUBJECT_W, "Embedded under Wine");
            set_string((LPMAPIPROP)inner, PR_BODY_W, "Inner body under Wine.");
            CHECK_OK(inner->lpVtbl->SaveChanges(inner, 0));
            inner->lpVtbl->Release(inner);
        }
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }

    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

static void read_file(LPMSGSESS sess, const WCHAR *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    LPMAPITABLE table = NULL;
    ULONG rows = 0, tag;

    CHECK_OK(StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED | STGM_SHARE_DENY_WRITE, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        CHECK(string_is((LPMAPIPROP)msg, PR_SUBJECT_W, "Hello from Wine ole32"));
        tag = named_tag((LPMAPIPROP)msg, 0);
        CHECK(tag != 0 && string_is((LPMAPIPROP)msg, tag, "cheerful"));
        CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, 0, &table));
        if (table) {
            CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &rows));
            CHECK(rows == 1);
            table->lpVtbl->Release(table);
        }
        CHECK_OK(msg->lpVtbl->GetAttachmentTable(msg, 0, &table));
        if (table) {
            CHECK_OK(table->lpVtbl->GetRowCount(table, 0, &rows));
            CHECK(rows == 2);
            table->lpVtbl->Release(table);
        }
        msg->lpVtbl->Release(msg);
    }
    stg->lpVtbl->Release(stg);
}

int main(int argc, char **argv)
{
    LPMSGSESS sess = NULL;
    WCHAR path[260];
    int i;
    if (argc != 2 || strlen(argv[1]) >= 260) {
        fprintf(stderr, "usage: wine_msg.exe FILE.msg\n");
        return 2;
    }
    for (i = 0; (path[i] = (WCHAR)(unsigned char)argv[1][i]) != 0; i++) {
    }
    CHECK_OK(CoInitialize(NULL));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    write_file(sess, path);
    read_file(sess, path);
    CloseIMsgSession(sess);
    CoUninitialize();
    return check_report("wine_msg");
}
