/*
 * mapix.h - the MAPI client headers in one, as in the SDK: types and interfaces
 * (mapidefs.h), status codes (mapicode.h), GUIDs (mapiguid.h), property tags (mapitags.h)
 * and the MAPI functions libimessage provides (imessage.h: MAPIInitialize,
 * MAPIAllocateBuffer, MAPIFreeBuffer, ...), and the IMAPISession interface. libimessage has
 * no sessions of its own: IMAPISession is declared so that a session of real MAPI (or one
 * you implement) can be passed to HrDecomposeEID and HrDecomposeMsgID, which call its
 * GetMsgStoresTable.
 */
#ifndef IMSG_MAPIX_H
#define IMSG_MAPIX_H

#include "mapidefs.h"
#include "mapicode.h"
#include "imessage.h"
#include "mapiguid.h"
#include "mapitags.h"

/* Interfaces IMAPISession's methods name; libimessage implements none of them. */
DECLARE_MAPI_INTERFACE_PTR(IMsgStore, LPMDB);
DECLARE_MAPI_INTERFACE_PTR(IMAPIFolder, LPMAPIFOLDER);
DECLARE_MAPI_INTERFACE_PTR(IAddrBook, LPADRBOOK);
DECLARE_MAPI_INTERFACE_PTR(IProfSect, LPPROFSECT);
DECLARE_MAPI_INTERFACE_PTR(IMsgServiceAdmin, LPSERVICEADMIN);

#define MAPI_IMAPISESSION_METHODS(IPURE) \
    MAPIMETHOD(GetLastError)(THIS_ HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError) IPURE; \
    MAPIMETHOD(GetMsgStoresTable)(THIS_ ULONG ulFlags, LPMAPITABLE *lppTable) IPURE; \
    MAPIMETHOD(OpenMsgStore)(THIS_ ULONG_PTR ulUIParam, ULONG cbEntryID, LPENTRYID lpEntryID, \
                             LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB) IPURE; \
    MAPIMETHOD(OpenAddressBook)(THIS_ ULONG_PTR ulUIParam, LPCIID lpInterface, ULONG ulFlags, \
                                LPADRBOOK *lppAdrBook) IPURE; \
    MAPIMETHOD(OpenProfileSection)(THIS_ LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags, \
                                   LPPROFSECT *lppProfSect) IPURE; \
    MAPIMETHOD(GetStatusTable)(THIS_ ULONG ulFlags, LPMAPITABLE *lppTable) IPURE; \
    MAPIMETHOD(OpenEntry)(THIS_ ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, \
                          ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk) IPURE; \
    MAPIMETHOD(CompareEntryIDs)(THIS_ ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, \
                                LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult) IPURE; \
    MAPIMETHOD(Advise)(THIS_ ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask, \
                       LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection) IPURE; \
    MAPIMETHOD(Unadvise)(THIS_ ULONG_PTR ulConnection) IPURE; \
    MAPIMETHOD(MessageOptions)(THIS_ ULONG_PTR ulUIParam, ULONG ulFlags, LPTSTR lpszAdrType, \
                               LPMESSAGE lpMessage) IPURE; \
    MAPIMETHOD(QueryDefaultMessageOpt)(THIS_ LPTSTR lpszAdrType, ULONG ulFlags, ULONG *lpcValues, \
                                       LPSPropValue *lppOptions) IPURE; \
    MAPIMETHOD(EnumAdrTypes)(THIS_ ULONG ulFlags, ULONG *lpcAdrTypes, LPTSTR **lpppszAdrTypes) IPURE; \
    MAPIMETHOD(QueryIdentity)(THIS_ ULONG *lpcbEntryID, LPENTRYID *lppEntryID) IPURE; \
    MAPIMETHOD(Logoff)(THIS_ ULONG_PTR ulUIParam, ULONG ulFlags, ULONG ulReserved) IPURE; \
    MAPIMETHOD(SetDefaultStore)(THIS_ ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID) IPURE; \
    MAPIMETHOD(AdminServices)(THIS_ ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin) IPURE; \
    MAPIMETHOD(ShowForm)(THIS_ ULONG_PTR ulUIParam, LPMDB lpMsgStore, LPMAPIFOLDER lpParentFolder, \
                         LPCIID lpInterface, ULONG_PTR ulMessageToken, LPMESSAGE lpMessageSent, \
                         ULONG ulFlags, ULONG ulMessageStatus, ULONG ulMessageFlags, \
                         ULONG ulAccess, LPSTR lpszMessageClass) IPURE; \
    MAPIMETHOD(PrepareForm)(THIS_ LPCIID lpInterface, LPMESSAGE lpMessage, \
                            ULONG_PTR *lpulMessageToken) IPURE;

#undef INTERFACE
#define INTERFACE IMAPISession
DECLARE_MAPI_INTERFACE_(IMAPISession, IUnknown)
{
    BEGIN_INTERFACE
    MAPI_IUNKNOWN_METHODS(PURE)
    MAPI_IMAPISESSION_METHODS(PURE)
    END_INTERFACE
};
#undef INTERFACE

#if !defined(__cplusplus) || defined(CINTERFACE)
#define IMAPISession_QueryInterface(p, ...) (p)->lpVtbl->QueryInterface(p, __VA_ARGS__)
#define IMAPISession_AddRef(p) (p)->lpVtbl->AddRef(p)
#define IMAPISession_Release(p) (p)->lpVtbl->Release(p)
#define IMAPISession_GetLastError(p, ...) (p)->lpVtbl->GetLastError(p, __VA_ARGS__)
#define IMAPISession_GetMsgStoresTable(p, ...) (p)->lpVtbl->GetMsgStoresTable(p, __VA_ARGS__)
#define IMAPISession_OpenMsgStore(p, ...) (p)->lpVtbl->OpenMsgStore(p, __VA_ARGS__)
#define IMAPISession_OpenAddressBook(p, ...) (p)->lpVtbl->OpenAddressBook(p, __VA_ARGS__)
#define IMAPISession_OpenProfileSection(p, ...) (p)->lpVtbl->OpenProfileSection(p, __VA_ARGS__)
#define IMAPISession_GetStatusTable(p, ...) (p)->lpVtbl->GetStatusTable(p, __VA_ARGS__)
#define IMAPISession_OpenEntry(p, ...) (p)->lpVtbl->OpenEntry(p, __VA_ARGS__)
#define IMAPISession_CompareEntryIDs(p, ...) (p)->lpVtbl->CompareEntryIDs(p, __VA_ARGS__)
#define IMAPISession_Advise(p, ...) (p)->lpVtbl->Advise(p, __VA_ARGS__)
#define IMAPISession_Unadvise(p, ...) (p)->lpVtbl->Unadvise(p, __VA_ARGS__)
#define IMAPISession_MessageOptions(p, ...) (p)->lpVtbl->MessageOptions(p, __VA_ARGS__)
#define IMAPISession_QueryDefaultMessageOpt(p, ...) (p)->lpVtbl->QueryDefaultMessageOpt(p, __VA_ARGS__)
#define IMAPISession_EnumAdrTypes(p, ...) (p)->lpVtbl->EnumAdrTypes(p, __VA_ARGS__)
#define IMAPISession_QueryIdentity(p, ...) (p)->lpVtbl->QueryIdentity(p, __VA_ARGS__)
#define IMAPISession_Logoff(p, ...) (p)->lpVtbl->Logoff(p, __VA_ARGS__)
#define IMAPISession_SetDefaultStore(p, ...) (p)->lpVtbl->SetDefaultStore(p, __VA_ARGS__)
#define IMAPISession_AdminServices(p, ...) (p)->lpVtbl->AdminServices(p, __VA_ARGS__)
#define IMAPISession_ShowForm(p, ...) (p)->lpVtbl->ShowForm(p, __VA_ARGS__)
#define IMAPISession_PrepareForm(p, ...) (p)->lpVtbl->PrepareForm(p, __VA_ARGS__)
#endif

#endif /* IMSG_MAPIX_H */
