// SPDX-License-Identifier: GPL-2.0
/*
 * The corpus of the differential check (scripts/fuzz.sh): written by
 * --corpus-out on the recording kernel, read by --corpus-in on the replaying
 * one.  One line per KVM_SET_XSAVE input:
 *
 *   bv=0x%016x xcomp=0x%016x rsv=<96 hex digits> mxcsr=0x%08x G=0x%016x
 *   cm=N quirk=N dseed=0x%016x res=ERRNO exp=ERRNO|-1
 *
 * (one line; res is what the recording kernel returned, exp the model's
 * decision, -1 when uncertain), after two comment lines: "# xsave_fuzz
 * corpus seed=N [quirk-off-only]" and "#host kernel=... S=0x.. L=0x..
 * xsave=N mxcsr_mask=0x.. quirk_supported=N".  The image is rebuilt from
 * the line (build_image() over canonical_base()).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "fuzz.h"

static FILE *corpus;
static const char *corpus_path;

void host_line(FILE *f)
{
	struct utsname u;

	if (uname(&u))
		strcpy(u.release, "?");
	fprintf(f, "#host kernel=%s S=0x%" PRIx64 " L=0x%" PRIx64 " xsave=%d mxcsr_mask=0x%08x"
		" quirk_supported=%d\n", u.release, H.s, H.L, H.xsave, H.mxcsr_mask, H.quirk_ok);
}

void corpus_open(const char *path)
{
	corpus = fopen(path, "w");
	if (!corpus)
		die(path);
	corpus_path = path;
	fprintf(corpus, "# xsave_fuzz corpus seed=%" PRIu64 "%s\n", O.seed,
		O.quirk_off_only ? " quirk-off-only" : "");
	host_line(corpus);
}

/* Write the input lines to @f (already open, not closed here). */
void corpus_attach(FILE *f)
{
	corpus = f;
	corpus_path = NULL;
}

void corpus_close(void)
{
	if (corpus && corpus_path && fclose(corpus))
		die(corpus_path);
	corpus = NULL;
}

void corpus_write(const struct input *in, int err, const struct expect *e)
{
	char hex[RSV_LEN * 2 + 1];
	int i;

	if (!corpus)
		return;
	for (i = 0; i < RSV_LEN; i++)
		sprintf(hex + 2 * i, "%02x", in->rsv[i]);
	fprintf(corpus, "bv=0x%016" PRIx64 " xcomp=0x%016" PRIx64 " rsv=%s mxcsr=0x%08x"
		" G=0x%016" PRIx64 " cm=%d quirk=%d dseed=0x%016" PRIx64 " res=%d exp=%d\n",
		in->bv, in->xcomp, hex, in->mxcsr, in->G, in->cm, in->quirk, in->dseed,
		err, e->uncertain ? -1 : e->err);
}

static int parse_hex(const char *s, u8 *out, int n)
{
	int i;

	if ((int)strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (u8)b;
	}
	return 0;
}

/*
 * One corpus line: CORPUS_INPUT (r->in, r->res, r->exp), CORPUS_HOST (a
 * "#host" line: r->s, r->l, r->xsave, r->mxcsr_mask), CORPUS_COMMENT (any
 * other line starting with '#') or CORPUS_BAD.
 */
int corpus_parse(const char *line, struct corpus_rec *r)
{
	char hex[128];

	if (line[0] == '#') {
		const char *p = strstr(line, " S=");

		if (!strncmp(line, "#host", 5) && p &&
		    sscanf(p, " S=%" SCNx64 " L=%" SCNx64 " xsave=%d mxcsr_mask=%x",
			   &r->s, &r->l, &r->xsave, &r->mxcsr_mask) == 4)
			return CORPUS_HOST;
		return CORPUS_COMMENT;
	}
	memset(&r->in, 0, sizeof(r->in));
	if (sscanf(line, "bv=%" SCNx64 " xcomp=%" SCNx64 " rsv=%120s mxcsr=%" SCNx32
		   " G=%" SCNx64 " cm=%d quirk=%d dseed=%" SCNx64 " res=%d exp=%d",
		   &r->in.bv, &r->in.xcomp, hex, &r->in.mxcsr, &r->in.G, &r->in.cm, &r->in.quirk,
		   &r->in.dseed, &r->res, &r->exp) < 9 ||
	    parse_hex(hex, r->in.rsv, RSV_LEN) || r->in.cm < 0 || r->in.cm >= CM_MAX)
		return CORPUS_BAD;
	r->in.quirk = !!r->in.quirk;
	return CORPUS_INPUT;
}
