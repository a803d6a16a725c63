/*
 * minimal.c - the smallest complete use of liblockstep: detect coordinated
 * groups in one CSV file (object_id,account_id,content_id,timestamp_share)
 * with a 30-second window and print the counts.
 *
 *   example_minimal INPUT.csv OUTDIR
 */
#include <stdio.h>

#include <lockstep/lockstep.h>

int main(int argc, char **argv)
{
    lk_detect_opts opts;
    lk_detect_stats stats;
    lk_detect *d;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT.csv OUTDIR\n", argv[0]);
        return 2;
    }
    lk_detect_opts_init(&opts);
    opts.window_ms = 30000;
    opts.out_dir = argv[2];
    d = lk_detect_new(&opts);
    if (!d) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (lk_detect_add_input(d, argv[1]) != LK_OK || lk_detect_run(d) != LK_OK) {
        fprintf(stderr, "lockstep: %s\n", lk_detect_errmsg(d));
        goto done;
    }
    lk_detect_get_stats(d, &stats);
    printf("%llu rows, %llu coordinated accounts in %llu groups\n",
           (unsigned long long)stats.rows_read, (unsigned long long)stats.coord_accounts,
           (unsigned long long)stats.groups);
    rc = 0;
done:
    lk_detect_free(d);
    return rc;
}
