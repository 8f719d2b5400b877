/*
 * inttypes.h - the printf conversions of <stdint.h>'s types, for the
 * freestanding runtime (runtime/lib/format.c prints them), so code that
 * builds on hosted with PRIx64 and the like builds on the bare-metal boards
 * too.
 * Both boards are LP64: a 64-bit type is a long, a 32-bit one an int.
 */
#ifndef VN_INTTYPES_H
#define VN_INTTYPES_H

#include <stdint.h>

_Static_assert(sizeof(long) == 8 && sizeof(int) == 4, "inttypes.h assumes LP64");

#define PRId8 "d"
#define PRId16 "d"
#define PRId32 "d"
#define PRId64 "ld"
#define PRIi8 "i"
#define PRIi16 "i"
#define PRIi32 "i"
#define PRIi64 "li"
#define PRIu8 "u"
#define PRIu16 "u"
#define PRIu32 "u"
#define PRIu64 "lu"
#define PRIx8 "x"
#define PRIx16 "x"
#define PRIx32 "x"
#define PRIx64 "lx"
#define PRIX8 "X"
#define PRIX16 "X"
#define PRIX32 "X"
#define PRIX64 "lX"
#define PRIo32 "o"
#define PRIo64 "lo"
#define PRIdPTR "ld"
#define PRIuPTR "lu"
#define PRIxPTR "lx"
#define PRIdMAX "ld"
#define PRIuMAX "lu"
#define PRIxMAX "lx"

#endif /* VN_INTTYPES_H */
