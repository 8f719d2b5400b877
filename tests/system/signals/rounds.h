/* How many times each signal goes round. */
#define ROUNDS 100
