/* tests/windows/mingw/imessage.h - test-only: lets the c-tests/ programs compile against
   mingw-w64's own MAPI headers instead of our include/.

   The programs include "imessage.h" as their one MAPI header, because ours declares the
   whole API. mingw-w64's imessage.h declares only the IMessage-on-IStorage functions, so this
   file (found first on the include path, our include/ is not on it) includes mingw-w64's
   headers that together declare what ours does, then adds the few names none of them has.
   Each addition is guarded, so nothing mingw-w64 defines is redefined, and says why it is
   here. Used by tests/windows-tier.sh only. */
#ifndef IMSG_TEST_MINGW_IMESSAGE_H
#define IMSG_TEST_MINGW_IMESSAGE_H

#include <windows.h>
#include <objbase.h>
#include <mapidefs.h>
#include <mapicode.h>
#include <mapiguid.h>
#include <mapitags.h>
#include <mapix.h>
#include <mapiutil.h>
#include_next <imessage.h>

/* Bit of PR_STORE_SUPPORT_MASK that a Unicode message reports. Microsoft declares it in
   MAPIAux.h, which mingw-w64 does not ship. */
#ifndef STORE_UNICODE_OK
#define STORE_UNICODE_OK ((ULONG)0x00040000)
#endif

/* PidTagBodyHtml, documented in [MS-OXPROPS] (0x1013) but absent from mingw-w64's
   mapitags.h. */
#ifndef PR_BODY_HTML_W
#define PR_BODY_HTML_W PROP_TAG(PT_UNICODE, 0x1013)
#endif
#ifndef PR_BODY_HTML_A
#define PR_BODY_HTML_A PROP_TAG(PT_STRING8, 0x1013)
#endif
#ifndef PR_BODY_HTML
#define PR_BODY_HTML PROP_TAG(PT_TSTRING, 0x1013)
#endif

/* GUIDs no MAPI header declares: callers define them themselves (MFCMAPI does, and
   Microsoft's knowledge base gives CLSID_MailMessage), so these are the caller's own
   definitions, with the documented values ([MS-OXPROPS] for the property sets). */
#define IMSG_TEST_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    static const GUID name __attribute__((unused)) = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
IMSG_TEST_GUID(CLSID_MailMessage, 0x00020D0B, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
IMSG_TEST_GUID(PS_INTERNET_HEADERS, 0x00020386, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
IMSG_TEST_GUID(PSETID_Appointment, 0x00062002, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
IMSG_TEST_GUID(PSETID_Task, 0x00062003, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
IMSG_TEST_GUID(PSETID_Common, 0x00062008, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46);
IMSG_TEST_GUID(PSETID_Meeting, 0x6ED8DA90, 0x450B, 0x101B, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05);
IMSG_TEST_GUID(PSETID_Attachment, 0x96357F7F, 0x59E1, 0x47D0, 0x99, 0xA7, 0x46, 0x51, 0x5C, 0x18, 0x3B, 0x54);

/* The wide-path OpenStreamOnFile that mapi32.dll exports but no SDK header declares;
   MFCMAPI declares it itself, like this. */
#ifdef __cplusplus
extern "C" {
#endif
HRESULT STDMETHODCALLTYPE OpenStreamOnFileW(LPALLOCATEBUFFER lpAllocateBuffer, LPFREEBUFFER lpFreeBuffer,
                                            ULONG ulFlags, LPCWSTR lpszFileName, LPCWSTR lpszPrefix,
                                            LPSTREAM *lppStream);
#ifdef __cplusplus
}
#endif

#endif
