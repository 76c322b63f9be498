/* test_ir.c: the IR on its own: validation of graphs built through the
 * API (each failure with its message), sizes and overflow, stats, peaks,
 * topological checks, hashing, and the small utilities. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/ir.h>
#include "test_support.h"

static cosma_status_t finalize_with(cosma_graph_t *graph, test_diag_t *diag)
{
    test_diag_init(diag);
    return cosma_graph_finalize(graph, &diag->diag);
}

static int32_t shaped(cosma_graph_t *g, const char *name, cosma_tensor_kind_t kind, int32_t rank, const int64_t *dims)
{
    int32_t index = -1;
    cosma_loc_t loc = {"g.yaml", 3, 5};
    ck_assert_int_eq(cosma_graph_add_tensor(g, name, kind, COSMA_DTYPE_F32, rank, dims, 0, loc, &index), COSMA_OK);
    return index;
}

START_TEST(empty_graph_is_rejected)
{
    cosma_graph_t *g = test_graph_new("empty");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "has no operators"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(duplicate_names)
{
    cosma_graph_t *g = test_graph_new("dup");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "x", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_op(g, "op", "x", "y");
    test_graph_op(g, "op", "y", "x");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "duplicate tensor name 'x'"));
    ck_assert(test_diag_contains(&diag, "duplicate operator name 'op'"));
    /* No follow-on noise about the duplicate never being produced. */
    ck_assert(!test_diag_contains(&diag, "never produced"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(read_but_never_produced)
{
    cosma_graph_t *g = test_graph_new("orphan");
    test_graph_tensor(g, "ghost", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "op", "ghost", "y");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "'ghost' is read by operator 'op' but never produced"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(two_producers_and_written_input)
{
    cosma_graph_t *g = test_graph_new("writers");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_op(g, "a", "x", "y");
    test_graph_op(g, "b", "x", "y");
    test_graph_op(g, "c", "y", "x");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "tensor 'y' has two producers: 'a' and 'b'"));
    ck_assert(test_diag_contains(&diag, "operator 'c' writes input 'x'"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(cycle_and_order)
{
    cosma_graph_t *g = test_graph_new("cycle");
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_op(g, "p", "b", "a");
    test_graph_op(g, "q", "a", "b");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "is on a cycle"));
    cosma_graph_destroy(g);

    g = test_graph_new("order");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "b", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "late", "a", "b");
    test_graph_op(g, "early", "x", "a");
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "default order is not topological: operator 'late' reads 'a'"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(bad_dimensions_and_overflow)
{
    cosma_graph_t *g = test_graph_new("dims");
    int64_t zero[2] = {3, 0}, negative[1] = {-2}, huge[3] = {1ll << 40, 1ll << 40, 1ll << 10};
    shaped(g, "z", COSMA_TENSOR_INPUT, 2, zero);
    shaped(g, "n", COSMA_TENSOR_INPUT, 1, negative);
    shaped(g, "h", COSMA_TENSOR_ACTIVATION, 3, huge);
    test_graph_op(g, "op", "z,n", "h");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "g.yaml:3:5: tensor 'z' has a zero dimension (0) at axis 1"));
    ck_assert(test_diag_contains(&diag, "tensor 'n' has a negative dimension (-2) at axis 0"));
    ck_assert(test_diag_contains(&diag, "tensor 'h': size in bytes overflows 64 bits"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(operator_without_outputs)
{
    cosma_graph_t *g = test_graph_new("sink");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    int32_t in[1] = {0};
    cosma_loc_t loc = {0};
    ck_assert_int_eq(cosma_graph_add_op(g, "sink", "Op", in, 1, NULL, 0, NULL, 0, loc, NULL), COSMA_OK);
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "operator 'sink' has no outputs"));
    cosma_graph_destroy(g);
}
END_TEST

/* x(input, 2x3 f32 = 24 B) -> conv [w param 8 f32 = 32 B] -> y (24 B)
 * -> relu -> out (24 B); and y is also read by add with out -> sum.
 * Sizes with elem_bytes 1: x 6, w 8, y 6, out 6, sum 6. */
static cosma_graph_t *small_net(void)
{
    cosma_graph_t *g = test_graph_new("net");
    int64_t d23[2] = {2, 3}, d8[1] = {8};
    shaped(g, "x", COSMA_TENSOR_INPUT, 2, d23);
    shaped(g, "w", COSMA_TENSOR_PARAM, 1, d8);
    shaped(g, "y", COSMA_TENSOR_ACTIVATION, 2, d23);
    shaped(g, "r", COSMA_TENSOR_ACTIVATION, 2, d23);
    shaped(g, "sum", COSMA_TENSOR_OUTPUT, 2, d23);
    test_graph_op(g, "conv", "x,w", "y");
    test_graph_op(g, "relu", "y", "r");
    test_graph_op(g, "add", "y,r,y", "sum");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(g, &diag), COSMA_OK);
    return g;
}

START_TEST(consumers_sizes_and_stats)
{
    cosma_graph_t *g = small_net();
    int32_t y = cosma_graph_find_tensor(g, "y");
    ck_assert_int_eq(g->tensors[y].producer, 0);
    ck_assert_int_eq(g->tensors[y].n_consumers, 2); /* add reads y twice: once */
    ck_assert_int_eq(g->tensors[y].consumers[0], 1);
    ck_assert_int_eq(g->tensors[y].consumers[1], 2);
    ck_assert_int_eq(cosma_graph_find_op(g, "add"), 2);
    ck_assert_int_eq(cosma_graph_find_op(g, "nope"), -1);
    uint64_t bytes;
    ck_assert_int_eq(cosma_tensor_bytes(&g->tensors[y], 0, &bytes), 0);
    ck_assert_uint_eq(bytes, 24);
    ck_assert_int_eq(cosma_tensor_bytes(&g->tensors[y], 1, &bytes), 0);
    ck_assert_uint_eq(bytes, 6);

    cosma_graph_stats_t stats;
    ck_assert_int_eq(cosma_graph_stats(g, 1, &stats, NULL), COSMA_OK);
    ck_assert_int_eq(stats.n_ops, 3);
    ck_assert_int_eq(stats.n_params, 1);
    ck_assert_uint_eq(stats.activation_bytes, 12);
    ck_assert_uint_eq(stats.param_bytes, 8);
    /* conv: x + y = 12 (w only with params: 20); relu: y + r = 12;
     * add: y + r + sum = 18. */
    ck_assert_uint_eq(stats.m_r, 18);
    ck_assert_int_eq(stats.m_r_op, 2);
    ck_assert_uint_eq(stats.m_r_params, 20);
    ck_assert_int_eq(stats.m_r_params_op, 0);
    /* Live: step 1 x y; step 2 y r; step 3 y r sum = 18. */
    ck_assert_uint_eq(stats.peak_default, 18);
    ck_assert_uint_eq(stats.peak_default_params, 20);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(orders_and_hash)
{
    cosma_graph_t *g = small_net();
    int32_t good[3] = {0, 1, 2}, bad[3] = {1, 0, 2}, repeated[3] = {0, 0, 2};
    ck_assert(cosma_order_is_topological(g, good));
    ck_assert(!cosma_order_is_topological(g, bad));
    ck_assert(!cosma_order_is_topological(g, repeated));
    cosma_graph_t *same = small_net();
    ck_assert_uint_eq(cosma_graph_hash(g), cosma_graph_hash(same));
    cosma_graph_destroy(same);
    cosma_graph_t *other = test_graph_new("net");
    int64_t d24[2] = {2, 4}, d23[2] = {2, 3}, d8[1] = {8};
    shaped(other, "x", COSMA_TENSOR_INPUT, 2, d24); /* one dimension differs */
    shaped(other, "w", COSMA_TENSOR_PARAM, 1, d8);
    shaped(other, "y", COSMA_TENSOR_ACTIVATION, 2, d23);
    shaped(other, "r", COSMA_TENSOR_ACTIVATION, 2, d23);
    shaped(other, "sum", COSMA_TENSOR_OUTPUT, 2, d23);
    test_graph_op(other, "conv", "x,w", "y");
    test_graph_op(other, "relu", "y", "r");
    test_graph_op(other, "add", "y,r,y", "sum");
    test_diag_t diag;
    ck_assert_int_eq(finalize_with(other, &diag), COSMA_OK);
    ck_assert_uint_ne(cosma_graph_hash(g), cosma_graph_hash(other));
    cosma_graph_destroy(other);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(checked_arithmetic_and_names)
{
    uint64_t out;
    ck_assert_int_eq(cosma_u64_add(UINT64_MAX, 1, &out), 1);
    ck_assert_int_eq(cosma_u64_add(2, 3, &out), 0);
    ck_assert_uint_eq(out, 5);
    ck_assert_int_eq(cosma_u64_mul(1ull << 32, 1ull << 32, &out), 1);
    ck_assert_int_eq(cosma_u64_mul(0, UINT64_MAX, &out), 0);
    ck_assert_uint_eq(out, 0);
    cosma_dtype_t dtype;
    ck_assert_int_eq(cosma_dtype_parse("bf16", &dtype), 0);
    ck_assert_uint_eq(cosma_dtype_bytes(dtype), 2);
    ck_assert_int_eq(cosma_dtype_parse("f128", &dtype), -1);
    cosma_tensor_kind_t kind;
    ck_assert_int_eq(cosma_tensor_kind_parse("param", &kind), 0);
    ck_assert_int_eq(kind, COSMA_TENSOR_PARAM);
    ck_assert_str_eq(cosma_status_name(COSMA_ERR_INFEASIBLE), "infeasible");
    ck_assert_int_eq(cosma_status_exit_code(COSMA_ERR_INFEASIBLE), 1);
    ck_assert_int_eq(cosma_status_exit_code(COSMA_ERR_INPUT), 2);
    ck_assert_int_eq(cosma_status_exit_code(COSMA_ERR_INTERNAL), 3);
}
END_TEST

START_TEST(arena_buffers_and_files)
{
    cosma_arena_t arena;
    cosma_arena_init(&arena);
    char *small = cosma_arena_strdup(&arena, "abc");
    void *big = cosma_arena_alloc(&arena, 200000); /* larger than a block */
    char *after = cosma_arena_strdup(&arena, "def");
    ck_assert_str_eq(small, "abc");
    ck_assert_ptr_nonnull(big);
    ck_assert_str_eq(after, "def");
    ck_assert_uint_eq((uintptr_t)big % 16, 0);
    cosma_arena_free(&arena);

    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_buf_printf(&buf, "%d-", 42);
    cosma_buf_json_string(&buf, "a\"b\\c\n\x01");
    ck_assert_str_eq(buf.data, "42-\"a\\\"b\\\\c\\n\\u0001\"");

    char dir[] = "/tmp/cosma-ir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(bad, sizeof bad, "%s/missing/out.txt", dir);
    ck_assert_int_eq(cosma_file_write_atomic(path, buf.data, buf.length, NULL), COSMA_OK);
    char *text = NULL;
    size_t length = 0;
    ck_assert_int_eq(cosma_file_read(path, &text, &length, NULL), COSMA_OK);
    ck_assert_uint_eq(length, buf.length);
    ck_assert_str_eq(text, buf.data);
    free(text);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_file_write_atomic(bad, "x", 1, &diag.diag), COSMA_ERR_IO);
    ck_assert(test_diag_contains(&diag, "missing/out.txt"));
    ck_assert_int_eq(access(bad, F_OK), -1);
    remove(path);
    rmdir(dir);
    cosma_buf_free(&buf);
}
END_TEST

/* Sorts by value / 10 only, so equal keys show whether ties stay in order. */
static int compare_tens(const void *ctx, int32_t a, int32_t b)
{
    const int32_t *values = ctx;
    return (values[a] / 10 > values[b] / 10) - (values[a] / 10 < values[b] / 10);
}

START_TEST(utilities)
{
    /* FNV-1a 64 test vectors (Fowler/Noll/Vo): "" and "a", "foobar". */
    ck_assert_uint_eq(cosma_hash_string(COSMA_HASH_INIT, ""), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(cosma_hash_string(COSMA_HASH_INIT, "a"), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(cosma_hash_string(COSMA_HASH_INIT, "foobar"), 0x85944171f73967e8ull);
    ck_assert_uint_eq(cosma_hash_bytes(cosma_hash_string(COSMA_HASH_INIT, "foo"), "bar", 3), 0x85944171f73967e8ull);

    ck_assert_uint_eq(cosma_align_up(0, 16), 0);
    ck_assert_uint_eq(cosma_align_up(17, 16), 32);
    ck_assert_uint_eq(cosma_align_up(32, 16), 32);
    ck_assert_uint_eq(cosma_align_up(5, 0), 5);
    ck_assert_uint_eq(cosma_align_up(5, 1), 5);
    ck_assert_uint_eq(cosma_align_up(UINT64_MAX - 3, 16), UINT64_MAX); /* saturates, never wraps */

    /* xorshift64 (13, 7, 17) from the default seed, computed by hand. */
    uint64_t state = COSMA_RANDOM_SEED;
    ck_assert_uint_eq(cosma_random_next(&state), 0xdc1b77ae0bf34dadull);
    ck_assert_uint_eq(cosma_random_next(&state), 0x64f0eeb9026e6076ull);

    double t0 = cosma_clock_seconds();
    ck_assert(cosma_clock_seconds() >= t0);

    enum { N = 37 };
    int32_t values[N], items[N];
    for (int32_t i = 0; i < N; i++) {
        values[i] = (i * 17) % 50;
        items[i] = i;
    }
    ck_assert_int_eq(cosma_sort_indices(items, N, compare_tens, values), 0);
    for (int32_t i = 1; i < N; i++) {
        int32_t a = values[items[i - 1]] / 10, b = values[items[i]] / 10;
        ck_assert(a < b || (a == b && items[i - 1] < items[i]));
    }

    int64_t *array = NULL;
    size_t capacity = 0;
    ck_assert_int_eq(cosma_array_reserve((void **)&array, &capacity, 1, sizeof *array), 0);
    ck_assert_uint_ge(capacity, 1);
    ck_assert_int_eq(cosma_array_reserve((void **)&array, &capacity, 1000, sizeof *array), 0);
    ck_assert_uint_ge(capacity, 1000);
    array[999] = 7;
    ck_assert_int_eq(cosma_array_reserve((void **)&array, &capacity, SIZE_MAX / 4, sizeof *array), -1);
    ck_assert_int_eq(array[999], 7); /* unchanged on failure */
    free(array);
}
END_TEST

/* The one UTF-8 decoder: strict, and what JSON output is built with. */
START_TEST(utf8_decoder_and_json_strings)
{
    uint32_t cp = 0;
    ck_assert_uint_eq(cosma_utf8_decode("A", 1, &cp), 1);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_uint_eq(cosma_utf8_decode("\xc3\xa9", 2, &cp), 2);
    ck_assert_uint_eq(cp, 0xE9);
    ck_assert_uint_eq(cosma_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    ck_assert_uint_eq(cosma_utf8_decode("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
    ck_assert_uint_eq(cosma_utf8_decode("\xed\xa0\x80", 3, &cp), 0);     /* surrogate */
    ck_assert_uint_eq(cosma_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
    ck_assert_uint_eq(cosma_utf8_decode("\xc3", 1, &cp), 0);              /* cut short */
    ck_assert_uint_eq(cosma_utf8_decode("\x80", 1, &cp), 0);              /* lone continuation */
    ck_assert_uint_eq(cosma_utf8_invalid_at("ab\xc3\xa9\xff", 5), 4);
    ck_assert_uint_eq(cosma_utf8_invalid_at("ok", 2), 2);
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_buf_json_string(&buf, "a\xc3\xa9\xff\xc3");
    ck_assert_str_eq(buf.data, "\"a\xc3\xa9\\ufffd\\ufffd\"");
    ck_assert_uint_eq(cosma_utf8_invalid_at(buf.data, buf.length), buf.length);
    cosma_buf_free(&buf);
}
END_TEST

/* Sums of sizes near 2^62 are checked: an error, never a wrapped peak. */
START_TEST(peak_overflow_is_an_error)
{
    cosma_graph_t *g = test_graph_new("big");
    uint64_t huge = (UINT64_C(1) << 62) - 1;
    int32_t x, a, b, y;
    cosma_loc_t loc = {"big.yaml", 1, 1};
    ck_assert_int_eq(cosma_graph_add_tensor(g, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_RAW, -1, NULL, huge, loc, &x), COSMA_OK);
    ck_assert_int_eq(cosma_graph_add_tensor(g, "a", COSMA_TENSOR_ACTIVATION, COSMA_DTYPE_RAW, -1, NULL, huge, loc, &a), COSMA_OK);
    ck_assert_int_eq(cosma_graph_add_tensor(g, "b", COSMA_TENSOR_ACTIVATION, COSMA_DTYPE_RAW, -1, NULL, huge, loc, &b), COSMA_OK);
    ck_assert_int_eq(cosma_graph_add_tensor(g, "y", COSMA_TENSOR_OUTPUT, COSMA_DTYPE_RAW, -1, NULL, huge, loc, &y), COSMA_OK);
    test_graph_op(g, "f", "x", "a,b");
    test_graph_op(g, "g", "a,b", "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    uint64_t sizes[4] = {huge, huge, huge, huge}, peak = 0;
    int32_t order[2] = {0, 1};
    /* Three live tensors of 2^62 - 1 bytes: below 2^64, exact. */
    ck_assert_int_eq(cosma_order_peak_checked(g, order, sizes, &peak), COSMA_OK);
    ck_assert_uint_eq(peak, 3 * huge);
    sizes[0] = sizes[1] = sizes[2] = UINT64_MAX / 2;
    ck_assert_int_eq(cosma_order_peak_checked(g, order, sizes, &peak), COSMA_ERR_INPUT);
    ck_assert_uint_eq(cosma_order_peak(g, order, sizes), UINT64_MAX);
    /* The sizes themselves refuse a graph whose total passes 2^63 - 1. */
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_mode_t mode = {0, 0};
    ck_assert_int_eq(cosma_graph_sizes(g, &mode, sizes, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "tensor 'b': the planned tensors up to this one take more than 2^63 - 1"));
    cosma_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("ir");
    TCase *tc = tcase_create("ir");
    tcase_add_test(tc, empty_graph_is_rejected);
    tcase_add_test(tc, duplicate_names);
    tcase_add_test(tc, read_but_never_produced);
    tcase_add_test(tc, two_producers_and_written_input);
    tcase_add_test(tc, cycle_and_order);
    tcase_add_test(tc, bad_dimensions_and_overflow);
    tcase_add_test(tc, operator_without_outputs);
    tcase_add_test(tc, consumers_sizes_and_stats);
    tcase_add_test(tc, orders_and_hash);
    tcase_add_test(tc, checked_arithmetic_and_names);
    tcase_add_test(tc, arena_buffers_and_files);
    tcase_add_test(tc, utilities);
    tcase_add_test(tc, utf8_decoder_and_json_strings);
    tcase_add_test(tc, peak_overflow_is_an_error);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
