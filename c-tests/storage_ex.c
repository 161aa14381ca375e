/* storage_ex.c - StgCreateStorageEx / StgOpenStorageEx as MFCMAPI and the MAPI samples call
   them (STGFMT_DOCFILE, STGOPTIONS with 4096-byte sectors, STGM_DIRECT_SWMR on open), their
   refusals, and OpenStreamOnFile / OpenStreamOnFileW (SOF_UNIQUEFILENAME too). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "testdir.h"
#include "wide.h"

#define TAG_SUBJECT PROP_TAG(PT_UNICODE, 0x0037)

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Header fields of a compound file: major version and sector shift. */
static void header_of(const char *path, unsigned *major, unsigned *shift)
{
    unsigned char h[32] = {0};
    FILE *f = fopen(path, "rb");
    *major = *shift = 0;
    if (!f)
        return;
    if (fread(h, 1, sizeof h, f) == sizeof h) {
        *major = h[26] | h[27] << 8;
        *shift = h[30] | h[31] << 8;
    }
    fclose(f);
}

static void save_subject(IStorage *stg, const char *subject)
{
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SPropValue v;
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        /* MFCMAPI writes the class after OpenIMsgOnIStg. */
        CHECK_OK(WriteClassStg(stg, &CLSID_MailMessage));
        v.ulPropTag = TAG_SUBJECT;
        v.Value.lpszW = W(subject);
        CHECK_OK(msg->lpVtbl->SetProps(msg, 1, &v, NULL));
        CHECK_OK(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE));
        CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
        msg->lpVtbl->Release(msg);
    }
    CloseIMsgSession(sess);
}

static void check_subject(IStorage *stg, const char *subject)
{
    LPMSGSESS sess = NULL;
    LPMESSAGE msg = NULL;
    SizedSPropTagArray(1, tags) = {1, {TAG_SUBJECT}};
    LPSPropValue got = NULL;
    ULONG n = 0;
    CLSID clsid;
    CHECK_OK(ReadClassStg(stg, &clsid));
    CHECK(IsEqualCLSID(&clsid, &CLSID_MailMessage));
    CHECK_OK(OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &sess));
    CHECK_OK(OpenIMsgOnIStg(sess, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer,
                            MAPIGetDefaultMalloc(), NULL, stg, NULL, 0, MAPI_UNICODE, &msg));
    if (msg) {
        CHECK_OK(msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&tags, MAPI_UNICODE, &n, &got));
        CHECK(n == 1 && got && wide_eq(got[0].Value.lpszW, subject));
        MAPIFreeBuffer(got);
        msg->lpVtbl->Release(msg);
    }
    CloseIMsgSession(sess);
}

static void storage_ex(void)
{
    char path[256], path512[256];
    WCHAR wpath[256], wpath512[256];
    STGOPTIONS opts;
    IStorage *stg = NULL;
    void *obj = NULL;
    unsigned major, shift;

    /* MFCMAPI's CreateNewMSG. */
    test_path("sectors4096.msg", path, wpath);
    memset(&opts, 0, sizeof opts);
    opts.usVersion = 1;
    opts.ulSectorSize = 4096;
    CHECK_OK(StgCreateStorageEx(wpath, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE, STGFMT_DOCFILE, 0,
                                &opts, NULL, &IID_IStorage, &obj));
    stg = (IStorage *)obj;
    if (!stg)
        return;
    save_subject(stg, "four kilobyte sectors");
    stg->lpVtbl->Release(stg);
    header_of(path, &major, &shift);
    CHECK(major == 4 && shift == 12);

    /* The "Msg" wrapper's open: direct, single-writer-multiple-reader, deny none. */
    obj = NULL;
    CHECK_OK(StgOpenStorageEx(wpath, STGM_DIRECT_SWMR | STGM_READ | STGM_SHARE_DENY_NONE, STGFMT_DOCFILE, 0,
                              &opts, NULL, &IID_IStorage, &obj));
    if (obj) {
        check_subject((IStorage *)obj, "four kilobyte sectors");
        ((IStorage *)obj)->lpVtbl->Release((IStorage *)obj);
    }
    /* A 512-byte-sector file opens with options asking 4096: the file decides. */
    test_path("sectors512.msg", path512, wpath512);
    obj = NULL;
    CHECK_OK(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_STORAGE, 0,
                                NULL, NULL, &IID_IStorage, &obj));
    if (obj) {
        save_subject((IStorage *)obj, "default sectors");
        ((IStorage *)obj)->lpVtbl->Release((IStorage *)obj);
    }
    header_of(path512, &major, &shift);
    CHECK(major == 3 && shift == 9);
    obj = NULL;
    CHECK_OK(StgOpenStorageEx(wpath512, STGM_READ | STGM_TRANSACTED, STGFMT_ANY, 0, &opts, NULL,
                              &IID_IStorage, &obj));
    if (obj) {
        check_subject((IStorage *)obj, "default sectors");
        ((IStorage *)obj)->lpVtbl->Release((IStorage *)obj);
    }
    opts.ulSectorSize = 512;
    opts.usVersion = 2; /* pwcsTemplateFile present, NULL */
    obj = NULL;
    CHECK_OK(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 0,
                                &opts, NULL, &IID_IUnknown, &obj));
    CHECK(obj != NULL);
    if (obj)
        ((IUnknown *)obj)->lpVtbl->Release((IUnknown *)obj);

    /* Refusals: the out-pointer is NULL afterwards. */
    opts.usVersion = 1;
    opts.ulSectorSize = 1024;
    obj = (void *)1;
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 0,
                                &opts, NULL, &IID_IStorage, &obj),
             STG_E_INVALIDPARAMETER);
    CHECK(obj == NULL);
    opts.ulSectorSize = 4096;
    opts.usVersion = 0;
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 0,
                                &opts, NULL, &IID_IStorage, &obj),
             STG_E_INVALIDPARAMETER);
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_FILE, 0,
                                NULL, NULL, &IID_IStorage, &obj),
             STG_E_INVALIDPARAMETER);
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_ANY, 0,
                                NULL, NULL, &IID_IStorage, &obj),
             STG_E_INVALIDPARAMETER);
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 1,
                                NULL, NULL, &IID_IStorage, &obj),
             STG_E_INVALIDPARAMETER);
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 0,
                                NULL, NULL, &IID_IStream, &obj),
             E_NOINTERFACE);
    CHECK_HR(StgCreateStorageEx(wpath512, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE, STGFMT_DOCFILE, 0,
                                NULL, NULL, &IID_IStorage, NULL),
             STG_E_INVALIDPOINTER);
    test_path("missing.msg", path, wpath);
    CHECK_HR(StgOpenStorageEx(wpath, STGM_READ, STGFMT_DOCFILE, 0, NULL, NULL, &IID_IStorage, &obj),
             STG_E_FILENOTFOUND);
    CHECK(obj == NULL);
}

static void stream_on_file(void)
{
    char path[256], found[512];
    WCHAR wpath[256];
    IStream *s = NULL, *d = NULL;
    ULONG n = 0;
    STATSTG st;
    ULARGE_INTEGER all, rd, wr;
    DIR *dir;
    struct dirent *e;
    int count;

    test_path("body.txt", path, wpath);
    CHECK_HR(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_READ, path, NULL, &s), MAPI_E_NOT_FOUND);
    CHECK(s == NULL);
    CHECK_OK(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_CREATE | STGM_READWRITE, path, NULL, &s));
    if (!s)
        return;
    CHECK_OK(s->lpVtbl->Write(s, "The body of the message.", 24, &n));
    CHECK(n == 24);
    CHECK_OK(s->lpVtbl->Commit(s, STGC_DEFAULT));
    CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_DEFAULT));
    CHECK(st.type == STGTY_STREAM && st.cbSize.QuadPart == 24 && wide_eq(st.pwcsName, "body.txt"));
    CoTaskMemFree(st.pwcsName);
    s->lpVtbl->Release(s);
    s = NULL;

    /* Read it back, copying it into a second stream (the "Msg" wrapper's body flow). */
    CHECK_OK(OpenStreamOnFileW(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_READ, wpath, NULL, &s));
    CHECK_OK(CreateStreamOnHGlobal(NULL, TRUE, &d));
    if (s && d) {
        CHECK_HR(s->lpVtbl->Write(s, "x", 1, &n), STG_E_ACCESSDENIED);
        all.QuadPart = (ULONGLONG)-1;
        CHECK_OK(s->lpVtbl->CopyTo(s, d, all, &rd, &wr));
        CHECK(rd.QuadPart == 24 && wr.QuadPart == 24);
        CHECK_OK(d->lpVtbl->Stat(d, &st, STATFLAG_NONAME));
        CHECK(st.cbSize.QuadPart == 24);
    }
    if (s)
        s->lpVtbl->Release(s);
    if (d)
        d->lpVtbl->Release(d);

    /* SOF_UNIQUEFILENAME: a new file in the directory, removed at release when asked. */
    s = NULL;
    CHECK_OK(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer,
                              SOF_UNIQUEFILENAME | STGM_READWRITE | STGM_CREATE | STGM_DELETEONRELEASE, test_dir,
                              "att", &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Write(s, "temporary", 9, &n));
        CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_DEFAULT));
        CHECK(st.pwcsName != NULL && st.pwcsName[0] == 'a' && st.pwcsName[1] == 't' && st.pwcsName[2] == 't');
        count = 0;
        found[0] = 0;
        dir = opendir(test_dir);
        while (dir && (e = readdir(dir)) != NULL)
            if (strncmp(e->d_name, "att", 3) == 0) {
                count++;
                snprintf(found, sizeof found, "%s/%s", test_dir, e->d_name);
            }
        if (dir)
            closedir(dir);
        CHECK(count == 1 && st.pwcsName && wide_eq(st.pwcsName, strrchr(found, '/') + 1));
        CoTaskMemFree(st.pwcsName);
        CHECK(s->lpVtbl->Release(s) == 0);
        CHECK(found[0] && !file_exists(found));
    }
    /* Kept without STGM_DELETEONRELEASE. */
    s = NULL;
    CHECK_OK(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, SOF_UNIQUEFILENAME | STGM_READWRITE, test_dir,
                              NULL, &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Stat(s, &st, STATFLAG_DEFAULT));
        CHECK(st.pwcsName && wide_eq(st.pwcsName, "") == 0 && st.pwcsName[0] == 'S');
        CoTaskMemFree(st.pwcsName);
        s->lpVtbl->Release(s);
    }

    CHECK_HR(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_READ, NULL, NULL, &s), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, STGM_READ, path, NULL, NULL), MAPI_E_INVALID_PARAMETER);
    CHECK_HR(OpenStreamOnFile(MAPIAllocateBuffer, MAPIFreeBuffer, 0x00000100, path, NULL, &s), MAPI_E_UNKNOWN_FLAGS);
    CHECK(s == NULL);
}

/* STGM_CONVERT wraps an existing file: its bytes become the "\3CONTENTS" stream. */
static void convert(void)
{
    char path[256];
    WCHAR wpath[256], contents[16] = {3, 'C', 'O', 'N', 'T', 'E', 'N', 'T', 'S', 0};
    IStorage *stg = NULL;
    IStream *s = NULL;
    char buf[32] = {0};
    ULONG got = 0;
    FILE *f;

    test_path("convert.txt", path, wpath);
    f = fopen(path, "wb");
    if (!f)
        return;
    fputs("plain text", f);
    fclose(f);
    CHECK_HR(StgCreateDocfile(wpath, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE | STGM_CONVERT, 0, &stg),
             STG_E_INVALIDFLAG);
    CHECK_HR(StgCreateDocfile(wpath, STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CONVERT, 0, &stg), STG_S_CONVERTED);
    if (!stg)
        return;
    CHECK_OK(stg->lpVtbl->Commit(stg, STGC_DEFAULT));
    CHECK_OK(stg->lpVtbl->OpenStream(stg, contents, NULL, STGM_READ | STGM_SHARE_EXCLUSIVE, 0, &s));
    if (s) {
        CHECK_OK(s->lpVtbl->Read(s, buf, sizeof(buf) - 1, &got));
        CHECK(got == 10 && strcmp(buf, "plain text") == 0);
        s->lpVtbl->Release(s);
    }
    stg->lpVtbl->Release(stg);
}

int main(void)
{
    if (!test_dir_create("imsg-storage-ex"))
        return 1;
    storage_ex();
    stream_on_file();
    convert();
    test_dir_remove();
    return check_report("storage_ex");
}
