/* Exits at once: news of it comes to the waiters on `c` and `pc`, which
 * they do not watch until the end (waiton.yaml). */
#include <vanity_shard.h>

void vn_main(void)
{
}
