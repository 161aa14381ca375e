/* mapi32_client.c - the Windows tier's mapi32.dll stand-in check: a client written against
   mingw-w64's own MAPI headers only and linked with -lmapi32 -lole32 -luuid (nothing of
   ours), run beside a copy of imessage.dll named mapi32.dll.

   It first proves that the mapi32.dll it got is that copy and not Wine's builtin: the
   module's file sits beside the executable, its stdcall-decorated aliases are the plain
   functions, and it exports a data symbol only imessage.dll has (CLSID_MailMessage). Under
   Wine the path alone proves nothing (a builtin that stands in for a file beside the program
   reports that file's path); the aliases and CLSID_MailMessage do. Then it writes the .msg named on
   the command line over Wine's StgCreateDocfile (subject, body, one recipient, one
   attachment), saves and commits, reopens it with StgOpenStorage and reads it all back.
   The file is left for the Linux side. Exit code: failed checks; 3 when the mapi32.dll is
   not ours (nothing else is tried then). */
#include <windows.h>
#include <objbase.h>
#include <mapix.h>
#include <mapiutil.h>
#include <mapitags.h>
#include <imessage.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "check.h"

/* No MAPI header declares it; the value is documented by Microsoft (and in callers.md). */
static const GUID mail_message = {0x00020D0B, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};

static const char payload[] = "attachment bytes via mapi32.dll";

/* Whether the loaded mapi32.dll is the copy of imessage.dll beside this executable. */
static int mapi32_is_ours(void)
{
    char exe[MAX_PATH], dll[MAX_PATH], want[MAX_PATH];
    char *slash;
    HMODULE h = GetModuleHandleA("mapi32.dll");
    const GUID *clsid;
    int ours = 1;

    CHECK(h != NULL);
    if (!h)
        return 0;
    CHECK(GetModuleFileNameA(NULL, exe, sizeof exe) > 0);
    CHECK(GetModuleFileNameA(h, dll, sizeof dll) > 0);
    slash = strrchr(exe, '\\');
    if (slash)
        slash[1] = 0;
    snprintf(want, sizeof want, "%smapi32.dll", exe);
    printf("mapi32.dll loaded from %s\n", dll);
    if (_stricmp(dll, want) != 0) {
        fprintf(stderr, "mapi32.dll is %s, not %s\n", dll, want);
        ours = 0;
    }
    /* The decorated aliases are the same functions as the plain names. */
    CHECK(GetProcAddress(h, "OpenIMsgOnIStg@44") != NULL);
    CHECK(GetProcAddress(h, "OpenIMsgOnIStg@44") == GetProcAddress(h, "OpenIMsgOnIStg"));
    CHECK(GetProcAddress(h, "MAPIAllocateBuffer@8") != NULL);
    CHECK(GetProcAddress(h, "MAPIAllocateBuffer@8") == GetProcAddress(h, "MAPIAllocateBuffer"));
    CHECK(GetProcAddress(h, "HrQueryAllRows@24") != NULL);
    /* A data export only imessage.dll has, with the documented value. */
    clsid = (const GUID *)(void *)GetProcAddress(h, "CLSID_MailMessage");
    if (!clsid || !IsEqualGUID(clsid, &mail_message)) {
        fprintf(stderr, "mapi32.dll has no CLSID_MailMessage export with the right value\n");
        ours = 0;
    }
    return ours;
}

static void set_props(LPMAPIPROP obj, ULONG n, LPSPropValue v)
{
    LPSPropProblemArray problems = NULL;
    CHECK_OK(obj->lpVtbl->SetProps(obj, n, v, &problems));
    CHECK(problems == NULL);
    MAPIFreeBuffer(problems);
}

static int unicode_is(const SPropValue *v, ULONG tag, const wchar_t *want)
{
    return v && v->ulPropTag == tag && v->Value.lpszW && wcscmp(v->Value.lpszW, want) == 0;
}

static void write_file(LPMSGSESS sess, const wchar_t *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    LPATTACH att = NULL;
    IStream *data = NULL;
    LPADRLIST list = NULL;
    LPSPropValue rv = NULL;
    SPropValue v[3];
    ULONG num = 0, written = 0;

    CHECK_OK(StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }
    CHECK_OK(WriteClassStg(stg, &mail_message));
    v[0].ulPropTag = PR_MESSAGE_CLASS_W;
    v[0].Value.lpszW = (LPWSTR)L"IPM.Note";
    v[1].ulPropTag = PR_SUBJECT_W;
    v[1].Value.lpszW = (LPWSTR)L"Hello through mapi32.dll";
    v[2].ulPropTag = PR_BODY_W;
    v[2].Value.lpszW = (LPWSTR)L"Body written by a mapi32 client.";
    set_props((LPMAPIPROP)msg, 3, v);

    /* The recipient list in MAPIAllocateBuffer memory, as ModifyRecipients callers build it. */
    CHECK_OK(MAPIAllocateBuffer(CbNewADRLIST(1), (LPVOID *)&list));
    CHECK_OK(MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&rv));
    if (list && rv) {
        rv[0].ulPropTag = PR_DISPLAY_NAME_W;
        rv[0].Value.lpszW = (LPWSTR)L"Mapi Recipient";
        rv[1].ulPropTag = PR_EMAIL_ADDRESS_W;
        rv[1].Value.lpszW = (LPWSTR)L"mapi32@example.org";
        rv[2].ulPropTag = PR_RECIPIENT_TYPE;
        rv[2].Value.l = MAPI_TO;
        rv[3].ulPropTag = PR_ADDRTYPE_W;
        rv[3].Value.lpszW = (LPWSTR)L"SMTP";
        list->cEntries = 1;
        list->aEntries[0].ulReserved1 = 0;
        list->aEntries[0].cValues = 4;
        list->aEntries[0].rgPropVals = rv;
        rv = NULL; /* the list owns it now: FreePadrlist frees both */
        CHECK_OK(msg->lpVtbl->ModifyRecipients(msg, MODRECIP_ADD, list));
    }
    MAPIFreeBuffer(rv);
    FreePadrlist(list);

    CHECK_OK(msg->lpVtbl->CreateAttach(msg, NULL, 0, &num, &att));
    if (att) {
        v[0].ulPropTag = PR_ATTACH_METHOD;
        v[0].Value.l = ATTACH_BY_VALUE;
        v[1].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
        v[1].Value.lpszW = (LPWSTR)L"mapi32.txt";
        set_props((LPMAPIPROP)att, 2, v);
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                                           (LPUNKNOWN *)&data));
        if (data) {
            CHECK_OK(data->lpVtbl->Write(data, payload, sizeof(payload) - 1, &written));
            CHECK(written == sizeof(payload) - 1);
            CHECK_OK(data->lpVtbl->Commit(data, STGC_DEFAULT));
            data->lpVtbl->Release(data);
        }
        CHECK_OK(att->lpVtbl->SaveChanges(att, 0));
        att->lpVtbl->Release(att);
    }

    CHECK_OK(msg->lpVtbl->SaveChanges(msg, 0));
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

static void read_file(LPMSGSESS sess, const wchar_t *path)
{
    IStorage *stg = NULL;
    LPMESSAGE msg = NULL;
    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    LPSPropValue v = NULL;
    LPATTACH att = NULL;
    IStream *data = NULL;
    CLSID clsid;
    char buf[64];
    ULONG got = 0;
    SizedSPropTagArray(3, recip_cols) = {3, {PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W, PR_RECIPIENT_TYPE}};
    SizedSPropTagArray(2, attach_cols) = {2, {PR_ATTACH_NUM, PR_ATTACH_LONG_FILENAME_W}};

    CHECK_OK(StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED | STGM_SHARE_DENY_WRITE, NULL, 0, &stg));
    if (!stg)
        return;
    CHECK_OK(ReadClassStg(stg, &clsid));
    CHECK(IsEqualGUID(&clsid, &mail_message));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc(),
                            NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (!msg) {
        stg->lpVtbl->Release(stg);
        return;
    }
    CHECK_OK(HrGetOneProp((LPMAPIPROP)msg, PR_SUBJECT_W, &v));
    CHECK(unicode_is(v, PR_SUBJECT_W, L"Hello through mapi32.dll"));
    MAPIFreeBuffer(v);
    v = NULL;
    CHECK_OK(HrGetOneProp((LPMAPIPROP)msg, PR_BODY_W, &v));
    CHECK(unicode_is(v, PR_BODY_W, L"Body written by a mapi32 client."));
    MAPIFreeBuffer(v);
    v = NULL;

    CHECK_OK(msg->lpVtbl->GetRecipientTable(msg, MAPI_UNICODE, &table));
    if (table) {
        CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&recip_cols, NULL, NULL, 0, &rows));
        CHECK(rows && rows->cRows == 1);
        if (rows && rows->cRows == 1) {
            LPSPropValue p = rows->aRow[0].lpProps;
            CHECK(rows->aRow[0].cValues == 3);
            CHECK(unicode_is(&p[0], PR_DISPLAY_NAME_W, L"Mapi Recipient"));
            CHECK(unicode_is(&p[1], PR_EMAIL_ADDRESS_W, L"mapi32@example.org"));
            CHECK(p[2].ulPropTag == PR_RECIPIENT_TYPE && p[2].Value.l == MAPI_TO);
        }
        FreeProws(rows);
        rows = NULL;
        table->lpVtbl->Release(table);
        table = NULL;
    }

    CHECK_OK(msg->lpVtbl->GetAttachmentTable(msg, MAPI_UNICODE, &table));
    if (table) {
        CHECK_OK(HrQueryAllRows(table, (LPSPropTagArray)&attach_cols, NULL, NULL, 0, &rows));
        CHECK(rows && rows->cRows == 1);
        if (rows && rows->cRows == 1) {
            LPSPropValue p = rows->aRow[0].lpProps;
            CHECK(p[0].ulPropTag == PR_ATTACH_NUM);
            CHECK(unicode_is(&p[1], PR_ATTACH_LONG_FILENAME_W, L"mapi32.txt"));
            CHECK_OK(msg->lpVtbl->OpenAttach(msg, p[0].Value.l, NULL, 0, &att));
        }
        FreeProws(rows);
        table->lpVtbl->Release(table);
    }
    if (att) {
        CHECK_OK(att->lpVtbl->OpenProperty(att, PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, (LPUNKNOWN *)&data));
        if (data) {
            memset(buf, 0, sizeof buf);
            CHECK_OK(data->lpVtbl->Read(data, buf, sizeof buf, &got));
            CHECK(got == sizeof(payload) - 1 && memcmp(buf, payload, got) == 0);
            data->lpVtbl->Release(data);
        }
        att->lpVtbl->Release(att);
    }
    msg->lpVtbl->Release(msg);
    stg->lpVtbl->Release(stg);
}

int main(int argc, char **argv)
{
    LPMSGSESS sess = NULL;
    wchar_t path[MAX_PATH];

    if (argc != 2 || MultiByteToWideChar(CP_ACP, 0, argv[1], -1, path, MAX_PATH) == 0) {
        fprintf(stderr, "usage: mapi32_client.exe FILE.msg\n");
        return 2;
    }
    if (!mapi32_is_ours()) {
        check_report("mapi32_client");
        return 3;
    }
    CHECK_OK(CoInitialize(NULL));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    if (sess) {
        write_file(sess, path);
        read_file(sess, path);
        CloseIMsgSession(sess);
    }
    CoUninitialize();
    return check_report("mapi32_client");
}
