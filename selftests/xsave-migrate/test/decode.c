/* Decode a guest memory dump with xsave_migrate.c's own mismatch() reporter. */
#define main xm_main
#include "../xsave_migrate.c"
#undef main
int main(int argc, char **argv)
{
	struct vm v;
	FILE *f;
	unsigned st;

	if (argc != 3)
		return 3;
	st = strtoul(argv[2], NULL, 0);
	v.mem = malloc(GUEST_MEM_SIZE);
	f = fopen(argv[1], "rb");
	if (!f || fread(v.mem, 1, GUEST_MEM_SIZE, f) != GUEST_MEM_SIZE)
		return 3;
	if (st == 0) {
		printf("guest: verified\n");
		return 0;
	}
	mismatch(&v, st);
	return 1;
}
