// legacy_mapi.cpp - "save as .msg" and "read a .msg" written the way Windows MAPI code is:
// the standard headers, INITGUID, L"..." strings, MAPIGetDefaultMalloc, StgCreateDocfile,
// OpenIMsgSession, OpenIMsgOnIStg, WriteClassStg, SetProps, ModifyRecipients, CreateAttach,
// SaveChanges, Commit; then StgOpenStorage, HrQueryAllRows and OpenAttach to read it back.
// It compiles unchanged on Windows against the SDK; on Linux build it with -fshort-wchar
// (examples/run-legacy.sh). Usage: legacy_mapi OUT.msg
#define INITGUID
#define USES_IID_IMessage
#define USES_IID_IMAPITable
#include <windows.h>
#include <objbase.h>
#include <mapix.h>
#include <mapiutil.h>
#include <mapitags.h>
#include <mapiguid.h>
#include <imessage.h>

#include <stdio.h>
#include <stdlib.h>

static void fail(const char *what, HRESULT hr)
{
    printf("%s failed: 0x%08lX\n", what, (unsigned long)hr);
    exit(1);
}

static void print_wide(const WCHAR *s)
{
    for (; s && *s; s++)
        putchar(*s < 128 ? (char)*s : '?');
}

static void save_message(const WCHAR *path)
{
    LPSTORAGE stg = NULL;
    LPMSGSESS session = NULL;
    LPMESSAGE msg = NULL;
    HRESULT hr;

    hr = StgCreateDocfile(path, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, 0, &stg);
    if (FAILED(hr)) fail("StgCreateDocfile", hr);
    hr = OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &session);
    if (FAILED(hr)) fail("OpenIMsgSession", hr);
    hr = OpenIMsgOnIStg(session, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                        MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg);
    if (FAILED(hr)) fail("OpenIMsgOnIStg", hr);
    WriteClassStg(stg, CLSID_MailMessage);

    SPropValue props[3];
    props[0].ulPropTag = PR_MESSAGE_CLASS_W;
    props[0].Value.lpszW = (LPWSTR)L"IPM.Note";
    props[1].ulPropTag = PR_SUBJECT_W;
    props[1].Value.lpszW = (LPWSTR)L"Quarterly report";
    props[2].ulPropTag = PR_BODY_W;
    props[2].Value.lpszW = (LPWSTR)L"The figures are attached.";
    hr = msg->SetProps(3, props, NULL);
    if (FAILED(hr)) fail("SetProps", hr);

    LPADRLIST recipients = NULL;
    MAPIAllocateBuffer(CbNewADRLIST(2), (LPVOID *)&recipients);
    recipients->cEntries = 2;
    const WCHAR *names[2] = {L"Alice Example", L"Bob Example"};
    for (ULONG i = 0; i < 2; i++) {
        LPSPropValue row = NULL;
        MAPIAllocateBuffer(2 * sizeof(SPropValue), (LPVOID *)&row);
        row[0].ulPropTag = PR_DISPLAY_NAME_W;
        row[0].Value.lpszW = (LPWSTR)names[i];
        row[1].ulPropTag = PR_RECIPIENT_TYPE;
        row[1].Value.l = i == 0 ? MAPI_TO : MAPI_CC;
        recipients->aEntries[i].ulReserved1 = 0;
        recipients->aEntries[i].cValues = 2;
        recipients->aEntries[i].rgPropVals = row;
    }
    hr = msg->ModifyRecipients(MODRECIP_ADD, recipients);
    FreePadrlist(recipients);
    if (FAILED(hr)) fail("ModifyRecipients", hr);

    ULONG number = 0;
    LPATTACH attach = NULL;
    hr = msg->CreateAttach(NULL, 0, &number, &attach);
    if (FAILED(hr)) fail("CreateAttach", hr);
    SPropValue attach_props[2];
    attach_props[0].ulPropTag = PR_ATTACH_METHOD;
    attach_props[0].Value.l = ATTACH_BY_VALUE;
    attach_props[1].ulPropTag = PR_ATTACH_LONG_FILENAME_W;
    attach_props[1].Value.lpszW = (LPWSTR)L"figures.csv";
    attach->SetProps(2, attach_props, NULL);
    LPSTREAM data = NULL;
    hr = attach->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
                              (LPUNKNOWN *)&data);
    if (FAILED(hr)) fail("OpenProperty(PR_ATTACH_DATA_BIN)", hr);
    const char csv[] = "quarter,revenue\nQ1,100\nQ2,120\n";
    ULONG written = 0;
    data->Write(csv, sizeof(csv) - 1, &written);
    data->Commit(STGC_DEFAULT);
    data->Release();
    hr = attach->SaveChanges(KEEP_OPEN_READWRITE);
    if (FAILED(hr)) fail("IAttach::SaveChanges", hr);
    attach->Release();

    hr = msg->SaveChanges(KEEP_OPEN_READWRITE);
    if (FAILED(hr)) fail("IMessage::SaveChanges", hr);
    hr = stg->Commit(STGC_DEFAULT);
    if (FAILED(hr)) fail("IStorage::Commit", hr);
    msg->Release();
    stg->Release();
    CloseIMsgSession(session);
}

static void read_message(const WCHAR *path)
{
    LPSTORAGE stg = NULL;
    LPMSGSESS session = NULL;
    LPMESSAGE msg = NULL;
    HRESULT hr;

    hr = StgOpenStorage(path, NULL, STGM_READ | STGM_TRANSACTED, NULL, 0, &stg);
    if (FAILED(hr)) fail("StgOpenStorage", hr);
    OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &session);
    hr = OpenIMsgOnIStg(session, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                        MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg);
    if (FAILED(hr)) fail("OpenIMsgOnIStg", hr);

    LPSPropValue subject = NULL;
    hr = HrGetOneProp(msg, PR_SUBJECT_W, &subject);
    if (FAILED(hr)) fail("HrGetOneProp(PR_SUBJECT)", hr);
    printf("subject: ");
    print_wide(subject->Value.lpszW);
    printf("\n");
    MAPIFreeBuffer(subject);

    LPMAPITABLE table = NULL;
    LPSRowSet rows = NULL;
    SizedSPropTagArray(2, columns) = {2, {PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE}};
    msg->GetRecipientTable(MAPI_UNICODE, &table);
    hr = HrQueryAllRows(table, (LPSPropTagArray)&columns, NULL, NULL, 0, &rows);
    if (FAILED(hr)) fail("HrQueryAllRows", hr);
    for (ULONG i = 0; i < rows->cRows; i++) {
        printf("recipient: ");
        print_wide(rows->aRow[i].lpProps[0].Value.lpszW);
        printf(" (%s)\n", rows->aRow[i].lpProps[1].Value.l == MAPI_TO ? "To" : "Cc");
    }
    FreeProws(rows);
    table->Release();

    SizedSPropTagArray(1, attach_columns) = {1, {PR_ATTACH_NUM}};
    msg->GetAttachmentTable(0, &table);
    hr = HrQueryAllRows(table, (LPSPropTagArray)&attach_columns, NULL, NULL, 0, &rows);
    if (FAILED(hr)) fail("HrQueryAllRows(attachments)", hr);
    for (ULONG i = 0; i < rows->cRows; i++) {
        LPATTACH attach = NULL;
        hr = msg->OpenAttach(rows->aRow[i].lpProps[0].Value.l, NULL, 0, &attach);
        if (FAILED(hr)) fail("OpenAttach", hr);
        LPSPropValue name = NULL;
        HrGetOneProp(attach, PR_ATTACH_LONG_FILENAME_W, &name);
        LPSTREAM data = NULL;
        attach->OpenProperty(PR_ATTACH_DATA_BIN, &IID_IStream, 0, 0, (LPUNKNOWN *)&data);
        char buffer[256];
        ULONG read = 0;
        data->Read(buffer, sizeof(buffer) - 1, &read);
        buffer[read] = 0;
        printf("attachment: ");
        print_wide(name ? name->Value.lpszW : NULL);
        printf(", %lu bytes:\n%s", (unsigned long)read, buffer);
        MAPIFreeBuffer(name);
        data->Release();
        attach->Release();
    }
    FreeProws(rows);
    table->Release();
    msg->Release();
    stg->Release();
    CloseIMsgSession(session);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: %s OUT.msg\n", argv[0]);
        return 2;
    }
    WCHAR path[512];
    int i = 0;
    for (; argv[1][i] && i < 511; i++)
        path[i] = (WCHAR)(unsigned char)argv[1][i];
    path[i] = 0;
    save_message(path);
    read_message(path);
    return 0;
}
