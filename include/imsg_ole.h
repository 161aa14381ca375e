/*
 * imsg_ole.h - the part of the Windows and OLE headers that MAPI code needs, for platforms
 * without them. On Windows it includes the system's <windows.h> and <objbase.h> instead.
 *
 * Base types follow the Microsoft SDK on every platform: ULONG, LONG, DWORD, HRESULT and
 * SCODE are 32-bit; WCHAR is a 16-bit UTF-16 code unit (wchar_t when the compiler makes
 * it 16-bit, as -fshort-wchar does, so that L"..." literals can be passed); pointer-sized
 * types follow the pointer.
 *
 * Interfaces are declared once with the SDK's macros: in C as a struct holding lpVtbl (with
 * IStream_Read(p, ...)-style call macros), in C++ as abstract classes with pure virtual
 * methods in vtable order, which C++ code may also implement.
 */
#ifndef IMSG_OLE_H
#define IMSG_OLE_H

#if defined(_WIN32)
#  if !defined(_WIN64)
#    error "imessage supports 64-bit Windows only"
#  endif
#  include <windows.h>
#  include <objbase.h>
#else

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ===== linkage and calling conventions ===== */
#ifdef __cplusplus
#  define EXTERN_C extern "C"
#else
#  define EXTERN_C extern
#endif
/* Outside 32-bit Windows every convention is the platform's C convention. */
#define WINAPI
#define CALLBACK
#define STDMETHODCALLTYPE
#define STDAPICALLTYPE
#define STDMETHODVCALLTYPE
#define STDAPI EXTERN_C HRESULT STDAPICALLTYPE
#define STDAPI_(type) EXTERN_C type STDAPICALLTYPE
#define STDMETHODIMP HRESULT STDMETHODCALLTYPE
#define STDMETHODIMP_(type) type STDMETHODCALLTYPE
#define WINOLEAPI STDAPI
#define WINOLEAPI_(type) STDAPI_(type)
#define FAR
#define NEAR
#define CONST const
#define DECLSPEC_IMPORT

/* ===== base types ===== */
typedef unsigned char BYTE;
typedef unsigned short WORD;
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef int INT;
typedef unsigned int UINT;
typedef int BOOL;
typedef BYTE BOOLEAN;
typedef char CHAR;
typedef unsigned char UCHAR;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef float FLOAT;
typedef double DOUBLE;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef uintptr_t UINT_PTR;
typedef intptr_t INT_PTR;
typedef ULONG_PTR DWORD_PTR;
typedef size_t SIZE_T;
typedef LONG HRESULT;
typedef LONG SCODE;
typedef void VOID;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef BYTE *PBYTE;
typedef BYTE *LPBYTE;
typedef ULONG *PULONG;
typedef ULONG *LPULONG;
typedef LONG *LPLONG;
typedef DWORD *LPDWORD;
typedef BOOL *LPBOOL;
typedef void *HANDLE;
typedef void *HGLOBAL;
typedef void *HLOCAL;
typedef void *HWND;
typedef void *HINSTANCE;
typedef void *PSECURITY_DESCRIPTOR;

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR;
#elif defined(__cplusplus) && __cplusplus >= 201103L
typedef char16_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef WCHAR OLECHAR;
typedef WCHAR *PWSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *PCWSTR;
typedef const WCHAR *LPCWSTR;
typedef OLECHAR *LPOLESTR;
typedef const OLECHAR *LPCOLESTR;
typedef char *PSTR;
typedef char *LPSTR;
typedef const char *PCSTR;
typedef const char *LPCSTR;
#ifdef UNICODE
typedef WCHAR TCHAR;
#else
typedef char TCHAR;
#endif
typedef TCHAR *LPTSTR;
typedef const TCHAR *LPCTSTR;

#ifndef TRUE
#  define TRUE 1
#endif
#ifndef FALSE
#  define FALSE 0
#endif

#ifndef MAX_PATH
#  define MAX_PATH 260
#endif
#define ZeroMemory(dest, len) memset((dest), 0, (len))
#define FillMemory(dest, len, fill) memset((dest), (fill), (len))
#define CopyMemory(dest, src, len) memcpy((dest), (src), (len))
#define MoveMemory(dest, src, len) memmove((dest), (src), (len))
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#ifdef UNICODE
#  define IMSG_TEXT(s) L##s
#else
#  define IMSG_TEXT(s) s
#endif
#define TEXT(s) IMSG_TEXT(s)

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

/* ===== GUIDs ===== */
typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID;
typedef GUID IID;
typedef GUID CLSID;
typedef GUID *LPGUID;
typedef IID *LPIID;
typedef CLSID *LPCLSID;
typedef const GUID *LPCGUID;
#define CLSID_NULL GUID_NULL
#define IID_NULL GUID_NULL

#ifdef __cplusplus
#  define REFGUID const GUID &
#  define REFIID const IID &
#  define REFCLSID const CLSID &
inline int IsEqualGUID(REFGUID a, REFGUID b) { return memcmp(&a, &b, sizeof(GUID)) == 0; }
inline bool operator==(REFGUID a, REFGUID b) { return IsEqualGUID(a, b) != 0; }
inline bool operator!=(REFGUID a, REFGUID b) { return !(a == b); }
#else
#  define REFGUID const GUID *
#  define REFIID const IID *
#  define REFCLSID const CLSID *
#  define IsEqualGUID(a, b) (memcmp((a), (b), sizeof(GUID)) == 0)
#endif
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)

/* ===== HRESULT helpers ===== */
#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define FACILITY_NULL 0
#define FACILITY_RPC 1
#define FACILITY_DISPATCH 2
#define FACILITY_STORAGE 3
#define FACILITY_ITF 4
#define FACILITY_WIN32 7
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define IS_ERROR(status) (((ULONG)(status)) >> 31 == SEVERITY_ERROR)
#define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#define HRESULT_SEVERITY(hr) (((hr) >> 31) & 0x1)
#define SCODE_CODE(sc) ((sc) & 0xFFFF)
#define SCODE_FACILITY(sc) (((sc) >> 16) & 0x1FFF)
#define SCODE_SEVERITY(sc) (((sc) >> 31) & 0x1)
#define MAKE_HRESULT(sev, fac, code) \
    ((HRESULT)(((ULONG)(sev) << 31) | ((ULONG)(fac) << 16) | ((ULONG)(code))))
#define MAKE_SCODE(sev, fac, code) \
    ((SCODE)(((ULONG)(sev) << 31) | ((ULONG)(fac) << 16) | ((ULONG)(code))))
#define GetScode(hr) ((SCODE)(hr))
#define ResultFromScode(sc) ((HRESULT)(sc))

/* ===== interface declarations ===== */
#ifndef interface
#  define interface struct
#endif
#if defined(__cplusplus) && !defined(CINTERFACE)
#  define STDMETHOD(method) virtual HRESULT STDMETHODCALLTYPE method
#  define STDMETHOD_(type, method) virtual type STDMETHODCALLTYPE method
#  define STDMETHODV(method) virtual HRESULT STDMETHODVCALLTYPE method
#  define STDMETHODV_(type, method) virtual type STDMETHODVCALLTYPE method
#  define PURE = 0
#  define THIS_
#  define THIS void
#  define DECLARE_INTERFACE(iface) interface iface
#  define DECLARE_INTERFACE_(iface, baseiface) interface iface : public baseiface
#else
#  define STDMETHOD(method) HRESULT (STDMETHODCALLTYPE *method)
#  define STDMETHOD_(type, method) type (STDMETHODCALLTYPE *method)
#  define STDMETHODV(method) HRESULT (STDMETHODVCALLTYPE *method)
#  define STDMETHODV_(type, method) type (STDMETHODVCALLTYPE *method)
#  define PURE
#  define THIS_ INTERFACE *This,
#  define THIS INTERFACE *This
/* In C an interface is a pointer to a table of function pointers whose first slots are
   the base interfaces' (every declaration below lists them again). */
#  define DECLARE_INTERFACE(iface) \
       typedef interface iface { const struct iface##Vtbl *lpVtbl; } iface; \
       typedef struct iface##Vtbl iface##Vtbl; \
       struct iface##Vtbl
#  define DECLARE_INTERFACE_(iface, baseiface) DECLARE_INTERFACE(iface)
#endif
#define BEGIN_INTERFACE
#define END_INTERFACE

#define IMSG_IUNKNOWN_METHODS \
    STDMETHOD(QueryInterface)(THIS_ REFIID riid, void **ppvObject) PURE; \
    STDMETHOD_(ULONG, AddRef)(THIS) PURE; \
    STDMETHOD_(ULONG, Release)(THIS) PURE;

#undef INTERFACE
#define INTERFACE IUnknown
DECLARE_INTERFACE(IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    END_INTERFACE
};
typedef IUnknown *LPUNKNOWN;

#undef INTERFACE
#define INTERFACE IMalloc
DECLARE_INTERFACE_(IMalloc, IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    STDMETHOD_(void *, Alloc)(THIS_ SIZE_T cb) PURE;
    STDMETHOD_(void *, Realloc)(THIS_ void *pv, SIZE_T cb) PURE;
    STDMETHOD_(void, Free)(THIS_ void *pv) PURE;
    STDMETHOD_(SIZE_T, GetSize)(THIS_ void *pv) PURE;
    STDMETHOD_(int, DidAlloc)(THIS_ void *pv) PURE;
    STDMETHOD_(void, HeapMinimize)(THIS) PURE;
    END_INTERFACE
};
typedef IMalloc *LPMALLOC;

/* ===== structured storage ===== */
typedef OLECHAR **SNB;

typedef struct tagSTATSTG {
    LPOLESTR pwcsName;
    DWORD type;
    ULARGE_INTEGER cbSize;
    FILETIME mtime;
    FILETIME ctime;
    FILETIME atime;
    DWORD grfMode;
    DWORD grfLocksSupported;
    CLSID clsid;
    DWORD grfStateBits;
    DWORD reserved;
} STATSTG;

/* An enumeration, as in Windows: glibc's <fcntl.h> has a LOCK_WRITE macro of its own. */
#ifndef LOCK_WRITE
typedef enum tagLOCKTYPE { LOCK_WRITE = 1, LOCK_EXCLUSIVE = 2, LOCK_ONLYONCE = 4 } LOCKTYPE;
#endif

typedef struct tagSTGOPTIONS {
    USHORT usVersion;
    USHORT reserved;
    ULONG ulSectorSize;
    const WCHAR *pwcsTemplateFile;
} STGOPTIONS;

#define IMSG_ISEQUENTIALSTREAM_METHODS \
    STDMETHOD(Read)(THIS_ void *pv, ULONG cb, ULONG *pcbRead) PURE; \
    STDMETHOD(Write)(THIS_ const void *pv, ULONG cb, ULONG *pcbWritten) PURE;

#undef INTERFACE
#define INTERFACE ISequentialStream
DECLARE_INTERFACE_(ISequentialStream, IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    IMSG_ISEQUENTIALSTREAM_METHODS
    END_INTERFACE
};

#undef INTERFACE
#define INTERFACE IStream
DECLARE_INTERFACE_(IStream, ISequentialStream)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    IMSG_ISEQUENTIALSTREAM_METHODS
    STDMETHOD(Seek)(THIS_ LARGE_INTEGER dlibMove, DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition) PURE;
    STDMETHOD(SetSize)(THIS_ ULARGE_INTEGER libNewSize) PURE;
    STDMETHOD(CopyTo)(THIS_ IStream *pstm, ULARGE_INTEGER cb, ULARGE_INTEGER *pcbRead,
                      ULARGE_INTEGER *pcbWritten) PURE;
    STDMETHOD(Commit)(THIS_ DWORD grfCommitFlags) PURE;
    STDMETHOD(Revert)(THIS) PURE;
    STDMETHOD(LockRegion)(THIS_ ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType) PURE;
    STDMETHOD(UnlockRegion)(THIS_ ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType) PURE;
    STDMETHOD(Stat)(THIS_ STATSTG *pstatstg, DWORD grfStatFlag) PURE;
    STDMETHOD(Clone)(THIS_ IStream **ppstm) PURE;
    END_INTERFACE
};
typedef IStream *LPSTREAM;

#undef INTERFACE
#define INTERFACE IEnumSTATSTG
DECLARE_INTERFACE_(IEnumSTATSTG, IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    STDMETHOD(Next)(THIS_ ULONG celt, STATSTG *rgelt, ULONG *pceltFetched) PURE;
    STDMETHOD(Skip)(THIS_ ULONG celt) PURE;
    STDMETHOD(Reset)(THIS) PURE;
    STDMETHOD(Clone)(THIS_ IEnumSTATSTG **ppenum) PURE;
    END_INTERFACE
};
typedef IEnumSTATSTG *LPENUMSTATSTG;

#undef INTERFACE
#define INTERFACE IStorage
DECLARE_INTERFACE_(IStorage, IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    STDMETHOD(CreateStream)(THIS_ const OLECHAR *pwcsName, DWORD grfMode, DWORD reserved1,
                            DWORD reserved2, IStream **ppstm) PURE;
    STDMETHOD(OpenStream)(THIS_ const OLECHAR *pwcsName, void *reserved1, DWORD grfMode,
                          DWORD reserved2, IStream **ppstm) PURE;
    STDMETHOD(CreateStorage)(THIS_ const OLECHAR *pwcsName, DWORD grfMode, DWORD reserved1,
                             DWORD reserved2, IStorage **ppstg) PURE;
    STDMETHOD(OpenStorage)(THIS_ const OLECHAR *pwcsName, IStorage *pstgPriority, DWORD grfMode,
                           SNB snbExclude, DWORD reserved, IStorage **ppstg) PURE;
    STDMETHOD(CopyTo)(THIS_ DWORD ciidExclude, const IID *rgiidExclude, SNB snbExclude,
                      IStorage *pstgDest) PURE;
    STDMETHOD(MoveElementTo)(THIS_ const OLECHAR *pwcsName, IStorage *pstgDest,
                             const OLECHAR *pwcsNewName, DWORD grfFlags) PURE;
    STDMETHOD(Commit)(THIS_ DWORD grfCommitFlags) PURE;
    STDMETHOD(Revert)(THIS) PURE;
    STDMETHOD(EnumElements)(THIS_ DWORD reserved1, void *reserved2, DWORD reserved3,
                            IEnumSTATSTG **ppenum) PURE;
    STDMETHOD(DestroyElement)(THIS_ const OLECHAR *pwcsName) PURE;
    STDMETHOD(RenameElement)(THIS_ const OLECHAR *pwcsOldName, const OLECHAR *pwcsNewName) PURE;
    STDMETHOD(SetElementTimes)(THIS_ const OLECHAR *pwcsName, const FILETIME *pctime,
                               const FILETIME *patime, const FILETIME *pmtime) PURE;
    STDMETHOD(SetClass)(THIS_ REFCLSID clsid) PURE;
    STDMETHOD(SetStateBits)(THIS_ DWORD grfStateBits, DWORD grfMask) PURE;
    STDMETHOD(Stat)(THIS_ STATSTG *pstatstg, DWORD grfStatFlag) PURE;
    END_INTERFACE
};
typedef IStorage *LPSTORAGE;

#undef INTERFACE
#define INTERFACE ILockBytes
DECLARE_INTERFACE_(ILockBytes, IUnknown)
{
    BEGIN_INTERFACE
    IMSG_IUNKNOWN_METHODS
    STDMETHOD(ReadAt)(THIS_ ULARGE_INTEGER ulOffset, void *pv, ULONG cb, ULONG *pcbRead) PURE;
    STDMETHOD(WriteAt)(THIS_ ULARGE_INTEGER ulOffset, const void *pv, ULONG cb, ULONG *pcbWritten) PURE;
    STDMETHOD(Flush)(THIS) PURE;
    STDMETHOD(SetSize)(THIS_ ULARGE_INTEGER cb) PURE;
    STDMETHOD(LockRegion)(THIS_ ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType) PURE;
    STDMETHOD(UnlockRegion)(THIS_ ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType) PURE;
    STDMETHOD(Stat)(THIS_ STATSTG *pstatstg, DWORD grfStatFlag) PURE;
    END_INTERFACE
};
typedef ILockBytes *LPLOCKBYTES;
#undef INTERFACE

/* C call macros, as COBJMACROS gives them on Windows. */
#if !defined(__cplusplus) || defined(CINTERFACE)
#define IUnknown_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IUnknown_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IUnknown_Release(p) (p)->lpVtbl->Release(p)
#define IMalloc_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMalloc_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMalloc_Release(p) (p)->lpVtbl->Release(p)
#define IMalloc_Alloc(p, ...) (p)->lpVtbl->Alloc(p, __VA_ARGS__)
#define IMalloc_Realloc(p, ...) (p)->lpVtbl->Realloc(p, __VA_ARGS__)
#define IMalloc_Free(p, ...) (p)->lpVtbl->Free(p, __VA_ARGS__)
#define IMalloc_GetSize(p, ...) (p)->lpVtbl->GetSize(p, __VA_ARGS__)
#define IMalloc_DidAlloc(p, ...) (p)->lpVtbl->DidAlloc(p, __VA_ARGS__)
#define IMalloc_HeapMinimize(p) (p)->lpVtbl->HeapMinimize(p)
#define IStream_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IStream_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IStream_Release(p) (p)->lpVtbl->Release(p)
#define IStream_Read(p, ...) (p)->lpVtbl->Read(p, __VA_ARGS__)
#define IStream_Write(p, ...) (p)->lpVtbl->Write(p, __VA_ARGS__)
#define IStream_Seek(p, ...) (p)->lpVtbl->Seek(p, __VA_ARGS__)
#define IStream_SetSize(p, ...) (p)->lpVtbl->SetSize(p, __VA_ARGS__)
#define IStream_CopyTo(p, ...) (p)->lpVtbl->CopyTo(p, __VA_ARGS__)
#define IStream_Commit(p, ...) (p)->lpVtbl->Commit(p, __VA_ARGS__)
#define IStream_Revert(p) (p)->lpVtbl->Revert(p)
#define IStream_LockRegion(p, ...) (p)->lpVtbl->LockRegion(p, __VA_ARGS__)
#define IStream_UnlockRegion(p, ...) (p)->lpVtbl->UnlockRegion(p, __VA_ARGS__)
#define IStream_Stat(p, ...) (p)->lpVtbl->Stat(p, __VA_ARGS__)
#define IStream_Clone(p, ...) (p)->lpVtbl->Clone(p, __VA_ARGS__)
#define IEnumSTATSTG_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IEnumSTATSTG_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IEnumSTATSTG_Release(p) (p)->lpVtbl->Release(p)
#define IEnumSTATSTG_Next(p, ...) (p)->lpVtbl->Next(p, __VA_ARGS__)
#define IEnumSTATSTG_Skip(p, ...) (p)->lpVtbl->Skip(p, __VA_ARGS__)
#define IEnumSTATSTG_Reset(p) (p)->lpVtbl->Reset(p)
#define IEnumSTATSTG_Clone(p, ...) (p)->lpVtbl->Clone(p, __VA_ARGS__)
#define IStorage_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IStorage_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IStorage_Release(p) (p)->lpVtbl->Release(p)
#define IStorage_CreateStream(p, ...) (p)->lpVtbl->CreateStream(p, __VA_ARGS__)
#define IStorage_OpenStream(p, ...) (p)->lpVtbl->OpenStream(p, __VA_ARGS__)
#define IStorage_CreateStorage(p, ...) (p)->lpVtbl->CreateStorage(p, __VA_ARGS__)
#define IStorage_OpenStorage(p, ...) (p)->lpVtbl->OpenStorage(p, __VA_ARGS__)
#define IStorage_CopyTo(p, ...) (p)->lpVtbl->CopyTo(p, __VA_ARGS__)
#define IStorage_MoveElementTo(p, ...) (p)->lpVtbl->MoveElementTo(p, __VA_ARGS__)
#define IStorage_Commit(p, ...) (p)->lpVtbl->Commit(p, __VA_ARGS__)
#define IStorage_Revert(p) (p)->lpVtbl->Revert(p)
#define IStorage_EnumElements(p, ...) (p)->lpVtbl->EnumElements(p, __VA_ARGS__)
#define IStorage_DestroyElement(p, ...) (p)->lpVtbl->DestroyElement(p, __VA_ARGS__)
#define IStorage_RenameElement(p, ...) (p)->lpVtbl->RenameElement(p, __VA_ARGS__)
#define IStorage_SetElementTimes(p, ...) (p)->lpVtbl->SetElementTimes(p, __VA_ARGS__)
#define IStorage_SetClass(p, ...) (p)->lpVtbl->SetClass(p, __VA_ARGS__)
#define IStorage_SetStateBits(p, ...) (p)->lpVtbl->SetStateBits(p, __VA_ARGS__)
#define IStorage_Stat(p, ...) (p)->lpVtbl->Stat(p, __VA_ARGS__)
#define ILockBytes_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define ILockBytes_AddRef(p) (p)->lpVtbl->AddRef(p)
#define ILockBytes_Release(p) (p)->lpVtbl->Release(p)
#define ILockBytes_ReadAt(p, ...) (p)->lpVtbl->ReadAt(p, __VA_ARGS__)
#define ILockBytes_WriteAt(p, ...) (p)->lpVtbl->WriteAt(p, __VA_ARGS__)
#define ILockBytes_Flush(p) (p)->lpVtbl->Flush(p)
#define ILockBytes_SetSize(p, ...) (p)->lpVtbl->SetSize(p, __VA_ARGS__)
#define ILockBytes_LockRegion(p, ...) (p)->lpVtbl->LockRegion(p, __VA_ARGS__)
#define ILockBytes_UnlockRegion(p, ...) (p)->lpVtbl->UnlockRegion(p, __VA_ARGS__)
#define ILockBytes_Stat(p, ...) (p)->lpVtbl->Stat(p, __VA_ARGS__)
#endif

#endif /* !_WIN32 */
#endif /* IMSG_OLE_H */

/*
 * DEFINE_GUID declares a GUID, or defines it when INITGUID is defined. As in the SDK's
 * guiddef.h this part is read again on every inclusion, so that <initguid.h> can switch a
 * translation unit to definitions part-way through. Definitions are weak (the SDK's
 * DECLSPEC_SELECTANY): two translation units that both define a GUID link, and a program's
 * own definition takes precedence over the one libimessage exports.
 */
#if !defined(_WIN32)
#  undef DEFINE_GUID
#  if defined(INITGUID)
#    if defined(__GNUC__) || defined(__clang__)
#      define IMSG_SELECTANY __attribute__((weak))
#    else
#      define IMSG_SELECTANY
#    endif
#    ifdef __cplusplus
#      define IMSG_GUID_LINKAGE extern "C"
#    else
#      define IMSG_GUID_LINKAGE
#    endif
#    define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
         IMSG_GUID_LINKAGE const GUID name IMSG_SELECTANY = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#  else
#    define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) EXTERN_C const GUID name
#  endif
#  ifndef DEFINE_OLEGUID
#    define DEFINE_OLEGUID(name, l, w1, w2) DEFINE_GUID(name, l, w1, w2, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)
#  endif
#endif
