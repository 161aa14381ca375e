/*
 * mapix.h - the MAPI client headers in one, as in the SDK: types and interfaces
 * (mapidefs.h), status codes (mapicode.h), GUIDs (mapiguid.h), property tags (mapitags.h)
 * and the MAPI functions libimessage provides (imessage.h: MAPIInitialize,
 * MAPIAllocateBuffer, MAPIFreeBuffer, ...).
 */
#ifndef IMSG_MAPIX_H
#define IMSG_MAPIX_H

#include "mapidefs.h"
#include "mapicode.h"
#include "imessage.h"
#include "mapiguid.h"
#include "mapitags.h"

#endif /* IMSG_MAPIX_H */
