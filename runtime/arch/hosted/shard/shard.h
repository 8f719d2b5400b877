/*
 * shard.h - private to the hosted shard library.
 */
#ifndef VN_HOSTED_SHARD_H
#define VN_HOSTED_SHARD_H

void vn_hosted_wait_turn(void);
void vn_hosted_fault_init(void);
_Noreturn void vn_hosted_die(const char *what, const char *detail);

#endif /* VN_HOSTED_SHARD_H */
