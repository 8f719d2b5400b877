#include <vanity_shard.h>
void vn_main(void) {}
