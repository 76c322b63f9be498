/* test_codegen.c: the plan file (exact text, round trips, determinism,
 * malformed files), the summary, the C header (compiled with cc) and the
 * SVG picture, on small hand-made plans whose every number is worked out
 * below. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/codegen.h>
#include "test_support.h"

/* ---- fixtures ------------------------------------------------------------ */

/* tiny: x (input, 16 B), w (param, 8 B), a (32 B), b (16 B), y (output, 8 B)
 *   op1: x, w -> a      op2: x -> b      op3: a, b -> y
 * Tensor indices x=0 w=1 a=2 b=3 y=4; default order op1, op2, op3. */
static void set_interval(cosma_interval_t *iv, int32_t tensor, int32_t first, int32_t last, uint64_t offset,
                         uint64_t bytes, cosma_begin_t begin, cosma_end_t end)
{
    iv->tensor = tensor;
    iv->first = first;
    iv->last = last;
    iv->offset = offset;
    iv->bytes = bytes;
    iv->begin = begin;
    iv->end = end;
}

/* Budget 64.  Step 1: load x@0, create a@16.  Step 2: a is spilled (op2
 * does not read it), b is created in its place @16.  Step 3: x dropped,
 * a retrieved @32, y created @0 and stored.
 * Traffic: spill 32 + retrieve 32 = 64; compulsory load 16 (x) and store
 * 8 (y); peak 64 (a@32..64).  With params, w is loaded @48 at step 1 and
 * dropped at step 2: compulsory load 24.  Intervals are given out of
 * canonical order on purpose. */
static cosma_plan_t *tiny_plan(const cosma_graph_t *graph, int with_params)
{
    cosma_plan_t *plan = cosma_plan_create(3, with_params ? 6 : 5);
    ck_assert_ptr_nonnull(plan);
    plan->order[0] = 0;
    plan->order[1] = 1;
    plan->order[2] = 2;
    set_interval(&plan->intervals[0], 4, 3, 3, 0, 8, COSMA_BEGIN_CREATE, COSMA_END_DROP);
    set_interval(&plan->intervals[1], 2, 3, 3, 32, 32, COSMA_BEGIN_LOAD, COSMA_END_DROP);
    set_interval(&plan->intervals[2], 3, 2, 3, 16, 16, COSMA_BEGIN_CREATE, COSMA_END_DROP);
    set_interval(&plan->intervals[3], 2, 1, 1, 16, 32, COSMA_BEGIN_CREATE, COSMA_END_SPILL);
    set_interval(&plan->intervals[4], 0, 1, 2, 0, 16, COSMA_BEGIN_LOAD, COSMA_END_DROP);
    if (with_params)
        set_interval(&plan->intervals[5], 1, 1, 1, 48, 8, COSMA_BEGIN_LOAD, COSMA_END_DROP);
    plan->mode.with_params = with_params;
    plan->budget_bytes = 64;
    plan->status = COSMA_PLAN_FEASIBLE;
    plan->method = "hand";
    plan->lower_bound_bytes = 16;
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    plan->solve_seconds = 1.25;
    cosma_plan_compute_traffic(graph, plan);
    return plan;
}

static char *emit_text(const cosma_graph_t *graph, const cosma_plan_t *plan)
{
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_codegen_emit_plan(graph, plan, &buf), COSMA_OK);
    ck_assert_ptr_nonnull(buf.data);
    return buf.data;
}

static void assert_plans_equal(const cosma_plan_t *a, const cosma_plan_t *b)
{
    ck_assert_str_eq(a->graph_name, b->graph_name);
    ck_assert_uint_eq(a->graph_hash, b->graph_hash);
    ck_assert_int_eq(a->mode.with_params, b->mode.with_params);
    ck_assert_uint_eq(a->mode.elem_bytes, b->mode.elem_bytes);
    ck_assert_uint_eq(a->budget_bytes, b->budget_bytes);
    ck_assert_int_eq(a->n_steps, b->n_steps);
    for (int32_t t = 0; t < a->n_steps; t++)
        ck_assert_int_eq(a->order[t], b->order[t]);
    ck_assert_int_eq(a->n_intervals, b->n_intervals);
    for (int32_t i = 0; i < a->n_intervals; i++) {
        const cosma_interval_t *x = &a->intervals[i], *y = &b->intervals[i];
        ck_assert_int_eq(x->tensor, y->tensor);
        ck_assert_int_eq(x->first, y->first);
        ck_assert_int_eq(x->last, y->last);
        ck_assert_uint_eq(x->offset, y->offset);
        ck_assert_uint_eq(x->bytes, y->bytes);
        ck_assert_int_eq(x->begin, y->begin);
        ck_assert_int_eq(x->end, y->end);
    }
    ck_assert_int_eq(a->status, b->status);
    ck_assert_str_eq(a->method, b->method);
    ck_assert_uint_eq(a->lower_bound_bytes, b->lower_bound_bytes);
    ck_assert_uint_eq(a->traffic.spill_bytes, b->traffic.spill_bytes);
    ck_assert_uint_eq(a->traffic.retrieve_bytes, b->traffic.retrieve_bytes);
    ck_assert_uint_eq(a->traffic.compulsory_load_bytes, b->traffic.compulsory_load_bytes);
    ck_assert_uint_eq(a->traffic.compulsory_store_bytes, b->traffic.compulsory_store_bytes);
    ck_assert_uint_eq(a->traffic.peak_bytes, b->traffic.peak_bytes);
}

static char tmp_dir[64];

static void make_tmp_dir(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/cosma_codegen_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void remove_tmp_dir(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(command), 0);
}

static const char *tmp_path(const char *name)
{
    static char path[4][128];
    static int next;
    next = (next + 1) % 4;
    snprintf(path[next], sizeof path[next], "%s/%s", tmp_dir, name);
    return path[next];
}

static char *slurp(const char *path)
{
    char *data[1] = {NULL}; /* an array: gcc 12 -O3 took &data for the text (-Wdangling-pointer) */
    size_t length = 0;
    ck_assert_int_eq(cosma_file_read(path, &data[0], &length, NULL), COSMA_OK);
    return data[0];
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- the plan file ------------------------------------------------------- */

static const char TINY_PLAN[] =
    "{\n"
    "  \"format\": \"cosma-plan\",\n"
    "  \"version\": 1,\n"
    "  \"graph\": {\"name\": \"tiny\", \"hash\": \"%016" PRIx64 "\", \"operators\": 3, \"tensors\": 5},\n"
    "  \"budget_bytes\": 64,\n"
    "  \"mode\": {\"params\": false, \"elem_bytes\": 0},\n"
    "  \"status\": \"feasible\",\n"
    "  \"method\": \"hand\",\n"
    "  \"lower_bound_bytes\": 16,\n"
    "  \"schedule\": [\"op1\", \"op2\", \"op3\"],\n"
    "  \"steps\": [\n"
    "    {\"step\": 1, \"operator\": \"op1\", \"events\": [\n"
    "      {\"load\": \"x\", \"offset\": 0, \"bytes\": 16, \"compulsory\": true},\n"
    "      {\"run\": \"op1\", \"inputs\": [{\"tensor\": \"x\", \"offset\": 0}, {\"tensor\": \"w\", \"offset\": null}], "
    "\"outputs\": [{\"tensor\": \"a\", \"offset\": 16}]}\n"
    "    ]},\n"
    "    {\"step\": 2, \"operator\": \"op2\", \"events\": [\n"
    "      {\"spill\": \"a\", \"offset\": 16, \"bytes\": 32},\n"
    "      {\"run\": \"op2\", \"inputs\": [{\"tensor\": \"x\", \"offset\": 0}], \"outputs\": [{\"tensor\": \"b\", "
    "\"offset\": 16}]}\n"
    "    ]},\n"
    "    {\"step\": 3, \"operator\": \"op3\", \"events\": [\n"
    "      {\"drop\": \"x\", \"offset\": 0, \"bytes\": 16},\n"
    "      {\"load\": \"a\", \"offset\": 32, \"bytes\": 32},\n"
    "      {\"run\": \"op3\", \"inputs\": [{\"tensor\": \"a\", \"offset\": 32}, {\"tensor\": \"b\", \"offset\": 16}], "
    "\"outputs\": [{\"tensor\": \"y\", \"offset\": 0}]},\n"
    "      {\"store\": \"y\", \"offset\": 0, \"bytes\": 8}\n"
    "    ]}\n"
    "  ],\n"
    "  \"intervals\": [\n"
    "    {\"tensor\": \"x\", \"first\": 1, \"last\": 2, \"offset\": 0, \"bytes\": 16, \"begin\": \"load\", \"end\": "
    "\"drop\"},\n"
    "    {\"tensor\": \"a\", \"first\": 1, \"last\": 1, \"offset\": 16, \"bytes\": 32, \"begin\": \"create\", \"end\": "
    "\"spill\"},\n"
    "    {\"tensor\": \"b\", \"first\": 2, \"last\": 3, \"offset\": 16, \"bytes\": 16, \"begin\": \"create\", \"end\": "
    "\"drop\"},\n"
    "    {\"tensor\": \"a\", \"first\": 3, \"last\": 3, \"offset\": 32, \"bytes\": 32, \"begin\": \"load\", \"end\": "
    "\"drop\"},\n"
    "    {\"tensor\": \"y\", \"first\": 3, \"last\": 3, \"offset\": 0, \"bytes\": 8, \"begin\": \"create\", \"end\": "
    "\"drop\"}\n"
    "  ],\n"
    "  \"totals\": {\n"
    "    \"spill_bytes\": 32,\n"
    "    \"retrieve_bytes\": 32,\n"
    "    \"non_compulsory_bytes\": 64,\n"
    "    \"compulsory_load_bytes\": 16,\n"
    "    \"compulsory_store_bytes\": 8,\n"
    "    \"compulsory_bytes\": 24,\n"
    "    \"peak_bytes\": 64\n"
    "  }\n"
    "}\n";

START_TEST(test_plan_exact_text)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    ck_assert_uint_eq(plan->traffic.spill_bytes, 32);
    ck_assert_uint_eq(plan->traffic.retrieve_bytes, 32);
    ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 16);
    ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 8);
    ck_assert_uint_eq(plan->traffic.peak_bytes, 64);
    char expected[8192];
    snprintf(expected, sizeof expected, TINY_PLAN, cosma_graph_hash(graph));
    char *text = emit_text(graph, plan);
    ck_assert_str_eq(text, expected);
    free(text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* With params, w is planned: a second compulsory load at step 1 (tensor
 * order: x before w), a drop at step 2 after the spill, and op1's run
 * gives w's offset. */
START_TEST(test_plan_params_events)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 1);
    ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 24);
    char *text = emit_text(graph, plan);
    ck_assert_ptr_nonnull(strstr(text, "\"mode\": {\"params\": true, \"elem_bytes\": 0},\n"));
    ck_assert_ptr_nonnull(strstr(text,
                                 "      {\"load\": \"x\", \"offset\": 0, \"bytes\": 16, \"compulsory\": true},\n"
                                 "      {\"load\": \"w\", \"offset\": 48, \"bytes\": 8, \"compulsory\": true},\n"
                                 "      {\"run\": \"op1\", \"inputs\": [{\"tensor\": \"x\", \"offset\": 0}, "
                                 "{\"tensor\": \"w\", \"offset\": 48}], "));
    ck_assert_ptr_nonnull(strstr(text,
                                 "      {\"spill\": \"a\", \"offset\": 16, \"bytes\": 32},\n"
                                 "      {\"drop\": \"w\", \"offset\": 48, \"bytes\": 8},\n"
                                 "      {\"run\": \"op2\""));
    ck_assert_ptr_nonnull(strstr(text, "    \"compulsory_load_bytes\": 24,\n"));
    ck_assert_ptr_nonnull(strstr(text, "    \"compulsory_bytes\": 32,\n"));
    free(text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_plan_round_trip)
{
    for (int with_params = 0; with_params < 2; with_params++) {
        cosma_graph_t *graph = test_doc_graph();
        cosma_plan_t *plan = tiny_plan(graph, with_params);
        plan->status = with_params ? COSMA_PLAN_OPTIMAL : COSMA_PLAN_FEASIBLE;
        plan->mode.elem_bytes = with_params ? 0 : 0;
        char *text = emit_text(graph, plan);
        cosma_plan_t *read = NULL;
        test_diag_t diag;
        test_diag_init(&diag);
        ck_assert_int_eq(cosma_codegen_parse_plan(text, strlen(text), "tiny.json", graph, &read, &diag.diag),
                         COSMA_OK);
        ck_assert_int_eq(diag.diag.n_errors, 0);
        cosma_plan_sort_intervals(plan);
        assert_plans_equal(plan, read);
        /* Strings belong to the read plan, not to the parsed text. */
        ck_assert_ptr_ne(read->method, plan->method);
        ck_assert_double_eq(read->solve_seconds, 0.0);
        /* Written again, the plan read is the same text. */
        char *again = emit_text(graph, read);
        ck_assert_str_eq(again, text);
        free(again);
        free(text);
        cosma_plan_destroy(read);
        cosma_plan_destroy(plan);
        cosma_graph_destroy(graph);
    }
}
END_TEST

START_TEST(test_plan_files_deterministic)
{
    make_tmp_dir();
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, tmp_path("one.json"), &diag.diag), COSMA_OK);
    /* A different solve time must not change a byte. */
    plan->solve_seconds = 99.0;
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, tmp_path("two.json"), &diag.diag), COSMA_OK);
    char *one = slurp(tmp_path("one.json")), *two = slurp(tmp_path("two.json"));
    ck_assert_str_eq(one, two);
    cosma_plan_t *read = NULL;
    ck_assert_int_eq(cosma_codegen_read_plan(tmp_path("one.json"), graph, &read, &diag.diag), COSMA_OK);
    cosma_plan_sort_intervals(plan);
    assert_plans_equal(plan, read);
    ck_assert_str_eq(read->graph_name, "tiny");
    cosma_plan_destroy(read);
    /* A missing file is an i/o error, not a crash. */
    read = NULL;
    ck_assert_int_eq(cosma_codegen_read_plan(tmp_path("none.json"), graph, &read, &diag.diag), COSMA_ERR_IO);
    ck_assert_ptr_null(read);
    ck_assert(test_diag_contains(&diag, "cannot open"));
    free(one);
    free(two);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    remove_tmp_dir();
}
END_TEST

/* An infeasible plan: no schedule, no intervals; it still round-trips. */
START_TEST(test_plan_infeasible)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = cosma_plan_create(0, 0);
    plan->status = COSMA_PLAN_INFEASIBLE;
    plan->budget_bytes = 40;
    plan->method = "ilp-joint";
    char *text = emit_text(graph, plan);
    ck_assert_ptr_nonnull(strstr(text, "  \"schedule\": [],\n  \"steps\": [],\n  \"intervals\": [],\n"));
    cosma_plan_t *read = NULL;
    ck_assert_int_eq(cosma_codegen_parse_plan(text, strlen(text), "p", graph, &read, NULL), COSMA_OK);
    ck_assert_int_eq(read->status, COSMA_PLAN_INFEASIBLE);
    ck_assert_int_eq(read->n_steps, 0);
    ck_assert_int_eq(read->n_intervals, 0);
    ck_assert_uint_eq(read->budget_bytes, 40);
    ck_assert_str_eq(read->method, "ilp-joint");
    free(text);
    cosma_plan_destroy(read);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* Plans the writer refuses: they are bugs of the caller, not files. */
START_TEST(test_plan_writer_usage)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    test_diag_t diag;
    cosma_buf_t buf;
    cosma_buf_init(&buf);

    plan->intervals[0].tensor = 5;
    ck_assert_int_eq(cosma_codegen_emit_plan(graph, plan, &buf), COSMA_ERR_USAGE);
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, "/nonexistent/p.json", &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "plan interval 0: its tensor index is out of range"));
    plan->intervals[0].tensor = 4;

    plan->intervals[0].last = 4;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, "/nonexistent/p.json", &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "plan interval 0: its steps are out of range"));
    plan->intervals[0].last = 3;

    plan->order[2] = 0;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, "/nonexistent/p.json", &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "plan step 3: operator index 0 is scheduled twice"));
    plan->order[2] = 2;

    /* A plan stamped with another graph's hash. */
    plan->graph_hash ^= 1;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, "/nonexistent/p.json", &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "plan was made for graph 'tiny' (hash"));
    plan->graph_hash ^= 1;

    /* A value the format cannot hold exactly. */
    plan->budget_bytes = UINT64_C(1) << 53;
    ck_assert_int_eq(cosma_codegen_emit_plan(graph, plan, &buf), COSMA_ERR_USAGE);
    plan->budget_bytes = 64;

    /* Sound again: the i/o error of the path comes through. */
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_plan(graph, plan, "/nonexistent/p.json", &diag.diag), COSMA_ERR_IO);
    ck_assert(test_diag_contains(&diag, "cannot create '/nonexistent/p.json'"));
    cosma_buf_free(&buf);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- malformed plan files ------------------------------------------------ */

/* Replaces the first occurrence of from (which must exist) by to. */
static char *edited(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "fixture text lacks: %s", from);
    size_t head = (size_t)(at - text), length = strlen(text) - strlen(from) + strlen(to);
    char *result = malloc(length + 1);
    memcpy(result, text, head);
    strcpy(result + head, to);
    strcat(result, at + strlen(from));
    return result;
}

typedef struct {
    const char *from, *to; /* from = NULL: the whole text is `to` */
    const char *message;
} bad_case_t;

static const bad_case_t BAD_CASES[] = {
    /* 0 syntax */
    {"  \"version\": 1,\n", "  \"version\": 1,,\n", "plan.json:3:16: invalid JSON: expected a key (a string in double quotes)"},
    {NULL, "", "plan.json:1:1: invalid JSON: the text ends too early"},
    {"  }\n}\n", "  }\n}\n}\n", "plan.json:44:1: invalid JSON: more text after the plan's JSON object"},
    {NULL, "[1, 2]", "plan.json: expected a cosma plan (a JSON object), got an array"},
    /* 4 identity */
    {"\"format\": \"cosma-plan\"", "\"format\": \"cosma-plot\"",
     "plan.json: format: expected \"cosma-plan\", got \"cosma-plot\""},
    {"\"format\": \"cosma-plan\"", "\"formats\": \"cosma-plan\"",
     "plan.json: missing key \"format\" (this is not a cosma plan file)"},
    {"\"version\": 1", "\"version\": 2",
     "plan.json: version: plan format version 2 is not supported (this reader understands version 1)"},
    {"\"hash\": \"", "\"hash\": \"x", "plan.json: graph.hash: expected 16 hexadecimal digits, got \"x"},
    {"\"operators\": 3", "\"operators\": 4", "plan.json: graph.operators: the plan says 4, graph 'tiny' has 3"},
    /* 9 types and numbers */
    {"\"budget_bytes\": 64", "\"budget_bytes\": \"64\"",
     "plan.json: budget_bytes: expected a non-negative integer, got a string"},
    {"\"params\": false", "\"params\": 0", "plan.json: mode.params: expected true or false, got a number"},
    {"\"budget_bytes\": 64", "\"budget_bytes\": 64.5",
     "plan.json: budget_bytes: expected a non-negative integer, got 64.5"},
    {"\"budget_bytes\": 64", "\"budget_bytes\": 9007199254740993",
     "plan.json: budget_bytes: 9007199254740992 is beyond 2^53 - 1, the largest integer a plan file holds exactly"},
    {"\"elem_bytes\": 0", "\"elem_bytes\": 4294967296",
     "plan.json: mode.elem_bytes: 4294967296 is out of range (at most 4294967295)"},
    {"\"offset\": 0, \"bytes\": 8, \"begin\"", "\"offset\": -8, \"bytes\": 8, \"begin\"",
     "plan.json: intervals[4].offset: expected a non-negative integer, got -8"},
    {"\"schedule\": [", "\"schedule\": {\"a\": 1}, \"x\": [",
     "plan.json: schedule: expected an array, got an object"},
    {"\"mode\": {", "\"mode\": [], \"m\": {", "plan.json: mode: expected the accounting mode (a JSON object), got an array"},
    /* 17 missing and duplicate keys */
    {"  \"lower_bound_bytes\": 16,\n", "", "plan.json: missing key \"lower_bound_bytes\""},
    {", \"end\": \"spill\"", "", "plan.json: intervals[1]: missing key \"end\""},
    {"  \"method\": \"hand\",\n", "  \"method\": \"hand\",\n  \"budget_bytes\": 64,\n",
     "plan.json: key \"budget_bytes\" appears twice"},
    {"  \"totals\": {\n", "  \"totals\": {\n    \"peak_bytes\": 64,\n",
     "plan.json: totals: key \"peak_bytes\" appears twice"},
    {"    \"spill_bytes\": 32,\n", "", "plan.json: totals: missing key \"spill_bytes\""},
    {"\"steps\": [", "\"stepz\": [", "plan.json: missing key \"steps\""},
    /* 23 names */
    {"{\"tensor\": \"b\", \"first\"", "{\"tensor\": \"q\", \"first\"",
     "plan.json: intervals[2].tensor: no tensor named \"q\" in graph 'tiny'"},
    {"[\"op1\", \"op2\", \"op3\"]", "[\"op1\", \"opX\", \"op3\"]",
     "plan.json: schedule[1]: no operator named \"opX\" in graph 'tiny'"},
    {"[\"op1\", \"op2\", \"op3\"]", "[\"op1\", \"op2\", \"op1\"]",
     "plan.json: schedule[2]: operator \"op1\" is scheduled twice (also at schedule[0])"},
    {"[\"op1\", \"op2\", \"op3\"]", "[\"op1\", \"op2\"]",
     "plan.json: schedule: has 2 operators, graph 'tiny' has 3 (a plan schedules all of them)"},
    {"[\"op1\", \"op2\", \"op3\"]", "[]",
     "plan.json: schedule: is empty, but only an infeasible plan may have no schedule"},
    {"{\"tensor\": \"b\", \"first\"", "{\"tensor\": \"w\", \"first\"",
     "plan.json: intervals[2].tensor: tensor \"w\" takes no scratchpad space in this mode (a parameter, and "
     "\"params\" is false)"},
    {"\"status\": \"feasible\"", "\"status\": \"great\"",
     "plan.json: status: expected \"optimal\", \"feasible\" or \"infeasible\", got \"great\""},
    /* 30 interval values */
    {"\"first\": 3, \"last\": 3, \"offset\": 0", "\"first\": 3, \"last\": 4, \"offset\": 0",
     "plan.json: intervals[4].last: step 4 is not in 3..3"},
    {"\"first\": 2, \"last\": 3, \"offset\": 16", "\"first\": 0, \"last\": 3, \"offset\": 16",
     "plan.json: intervals[2].first: step 0 is not in 1..3"},
    {"\"bytes\": 16, \"begin\": \"create\"", "\"bytes\": 17, \"begin\": \"create\"",
     "plan.json: intervals[2].bytes: 17, but tensor \"b\" takes 16 bytes in this mode"},
    {"\"begin\": \"create\", \"end\": \"spill\"", "\"begin\": \"make\", \"end\": \"spill\"",
     "plan.json: intervals[1].begin: expected \"create\" or \"load\", got \"make\""},
    /* 34 redundant sections that disagree with the intervals */
    {"\"spill_bytes\": 32", "\"spill_bytes\": 31",
     "plan.json: totals.spill_bytes: the file says 31, but the intervals give 32"},
    {"\"compulsory_bytes\": 24", "\"compulsory_bytes\": 23",
     "plan.json: totals.compulsory_bytes: the file says 23, but the intervals give 24"},
    {"{\"load\": \"a\", \"offset\": 32", "{\"load\": \"a\", \"offset\": 40",
     "plan.json: steps[2].events[1]: this event does not match the schedule and intervals, which imply "
     "{\"load\":\"a\",\"offset\":32,\"bytes\":32}"},
    {"{\"step\": 2, \"operator\": \"op2\"", "{\"step\": 2, \"operator\": \"op3\"",
     "plan.json: steps[1].operator: \"op3\" does not match schedule[1] \"op2\""},
    {"{\"step\": 2,", "{\"step\": 7,", "plan.json: steps[1].step: expected 2, got 7"},
    {"      {\"spill\": \"a\", \"offset\": 16, \"bytes\": 32},\n", "",
     "plan.json: steps[1].events[0]: this event does not match the schedule and intervals, which imply "
     "{\"spill\":\"a\",\"offset\":16,\"bytes\":32}"},
    {"      {\"store\": \"y\", \"offset\": 0, \"bytes\": 8}\n", "      {\"store\": \"y\", \"offset\": 0, \"bytes\": 8},\n"
     "      {\"store\": \"y\", \"offset\": 0, \"bytes\": 8}\n",
     "plan.json: steps[2].events[4]: an event the schedule and intervals do not imply (step 3 has 4 events)"},
    {"\"compulsory\": true", "\"compulsory\": false",
     "plan.json: steps[0].events[0]: this event does not match the schedule and intervals, which imply "
     "{\"load\":\"x\",\"offset\":0,\"bytes\":16,\"compulsory\":true}"},
    {"    ]},\n    {\"step\": 3", "    ]}\n  ], \"x\": [\n    {\"step\": 3",
     "plan.json: steps: expected 3 steps (one per schedule entry), got 2"},
};

START_TEST(test_reader_errors)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    char *text = emit_text(graph, plan);
    const bad_case_t *bad = &BAD_CASES[_i];
    char *broken = bad->from == NULL ? strdup(bad->to) : edited(text, bad->from, bad->to);
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *read = (cosma_plan_t *)1;
    ck_assert_int_eq(cosma_codegen_parse_plan(broken, strlen(broken), "plan.json", graph, &read, &diag.diag),
                     COSMA_ERR_INPUT);
    ck_assert_ptr_null(read);
    ck_assert_int_eq(diag.diag.n_errors, 1);
    ck_assert_msg(test_diag_contains(&diag, bad->message), "case %d: expected '%s', got '%s'", _i, bad->message,
                  diag.text);
    free(broken);
    free(text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* The same tiny plan read against a graph whose content differs. */
START_TEST(test_reader_hash_mismatch)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_graph_t *other = test_graph_new("tiny2");
    test_graph_tensor(other, "x", COSMA_TENSOR_INPUT, 16);
    test_graph_tensor(other, "w", COSMA_TENSOR_PARAM, 8);
    test_graph_tensor(other, "a", COSMA_TENSOR_ACTIVATION, 64); /* was 32 */
    test_graph_tensor(other, "b", COSMA_TENSOR_ACTIVATION, 16);
    test_graph_tensor(other, "y", COSMA_TENSOR_OUTPUT, 8);
    test_graph_op(other, "op1", "x,w", "a");
    test_graph_op(other, "op2", "x", "b");
    test_graph_op(other, "op3", "a,b", "y");
    ck_assert_int_eq(cosma_graph_finalize(other, NULL), COSMA_OK);
    cosma_plan_t *plan = tiny_plan(graph, 0);
    char *text = emit_text(graph, plan);
    char expected[256];
    snprintf(expected, sizeof expected,
             "plan.json: graph: plan was made for graph 'tiny' (hash %016" PRIx64 "), not for graph 'tiny2' (hash "
             "%016" PRIx64 ")",
             cosma_graph_hash(graph), cosma_graph_hash(other));
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *read = NULL;
    ck_assert_int_eq(cosma_codegen_parse_plan(text, strlen(text), "plan.json", other, &read, &diag.diag),
                     COSMA_ERR_INPUT);
    ck_assert_ptr_null(read);
    ck_assert_msg(test_diag_contains(&diag, expected), "got '%s'", diag.text);
    free(text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(other);
    cosma_graph_destroy(graph);
}
END_TEST

/* Every prefix of a good file and every byte replaced by a few others:
 * the reader answers OK or INPUT, never crashes or leaks (run under
 * valgrind with CK_FORK=no to see the latter). */
START_TEST(test_reader_never_crashes)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 1);
    char *text = emit_text(graph, plan);
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    int ok = 0, bad = 0;
    for (size_t cut = 0; cut + 1 < length; cut++) { /* the last byte is a newline */
        cosma_plan_t *read = NULL;
        cosma_status_t status = cosma_codegen_parse_plan(text, cut, "p", graph, &read, NULL);
        ck_assert_int_eq(status, COSMA_ERR_INPUT);
        ck_assert_ptr_null(read);
    }
    static const char replacements[] = {'0', '-', '"', '}', ' '};
    for (size_t at = 0; at < length; at++)
        for (size_t k = 0; k < sizeof replacements; k++) {
            memcpy(copy, text, length + 1);
            copy[at] = replacements[k];
            cosma_plan_t *read = NULL;
            cosma_status_t status = cosma_codegen_parse_plan(copy, length, "p", graph, &read, NULL);
            ck_assert(status == COSMA_OK || status == COSMA_ERR_INPUT);
            ck_assert((status == COSMA_OK) == (read != NULL));
            if (status == COSMA_OK)
                ok++;
            else
                bad++;
            cosma_plan_destroy(read);
        }
    /* Whitespace edits and same-digit edits survive; most others do not. */
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(bad, ok);
    free(copy);
    free(text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- summary ------------------------------------------------------------- */

START_TEST(test_summary)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_codegen_emit_summary(graph, plan, &buf), COSMA_OK);
    /* gap = (64 - 16) / 64 */
    ck_assert_str_eq(buf.data, "{\n"
                               "  \"status\": \"feasible\",\n"
                               "  \"method\": \"hand\",\n"
                               "  \"graph\": \"tiny\",\n"
                               "  \"budget_bytes\": 64,\n"
                               "  \"params\": false,\n"
                               "  \"elem_bytes\": 0,\n"
                               "  \"non_compulsory_bytes\": 64,\n"
                               "  \"spill_bytes\": 32,\n"
                               "  \"retrieve_bytes\": 32,\n"
                               "  \"compulsory_bytes\": 24,\n"
                               "  \"compulsory_load_bytes\": 16,\n"
                               "  \"compulsory_store_bytes\": 8,\n"
                               "  \"lower_bound_bytes\": 16,\n"
                               "  \"gap\": 0.75,\n"
                               "  \"peak_bytes\": 64,\n"
                               "  \"solve_seconds\": 1.250,\n" "  \"search\": \"complete\",\n"
                               "  \"steps\": 3,\n"
                               "  \"intervals\": 5\n"
                               "}\n");
    cosma_buf_free(&buf);

    /* Zero traffic: the gap is 0, not a division by zero. */
    cosma_plan_t *calm = cosma_plan_create(3, 0);
    calm->order[0] = 0;
    calm->order[1] = 1;
    calm->order[2] = 2;
    calm->status = COSMA_PLAN_OPTIMAL;
    calm->mode.with_params = 1;
    calm->mode.elem_bytes = 1;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_codegen_emit_summary(graph, calm, &buf), COSMA_OK);
    ck_assert_ptr_nonnull(strstr(buf.data, "  \"gap\": 0,\n"));
    ck_assert_ptr_nonnull(strstr(buf.data, "  \"params\": true,\n  \"elem_bytes\": 1,\n"));
    ck_assert_ptr_nonnull(strstr(buf.data, "  \"status\": \"optimal\",\n  \"method\": \"\",\n"));
    cosma_buf_free(&buf);
    cosma_plan_destroy(calm);

    /* Infeasible: traffic, gap and peak are null; the rest is kept. */
    cosma_plan_t *none = cosma_plan_create(0, 0);
    none->status = COSMA_PLAN_INFEASIBLE;
    none->budget_bytes = 40;
    none->method = "ilp-joint";
    none->solve_seconds = 0.5;
    cosma_buf_init(&buf);
    ck_assert_int_eq(cosma_codegen_emit_summary(graph, none, &buf), COSMA_OK);
    ck_assert_str_eq(buf.data, "{\n"
                               "  \"status\": \"infeasible\",\n"
                               "  \"method\": \"ilp-joint\",\n"
                               "  \"graph\": \"tiny\",\n"
                               "  \"budget_bytes\": 40,\n"
                               "  \"params\": false,\n"
                               "  \"elem_bytes\": 0,\n"
                               "  \"non_compulsory_bytes\": null,\n"
                               "  \"spill_bytes\": null,\n"
                               "  \"retrieve_bytes\": null,\n"
                               "  \"compulsory_bytes\": null,\n"
                               "  \"compulsory_load_bytes\": null,\n"
                               "  \"compulsory_store_bytes\": null,\n"
                               "  \"lower_bound_bytes\": 0,\n"
                               "  \"gap\": null,\n"
                               "  \"peak_bytes\": null,\n"
                               "  \"solve_seconds\": 0.500,\n" "  \"search\": \"complete\",\n"
                               "  \"steps\": 0,\n"
                               "  \"intervals\": 0\n"
                               "}\n");
    cosma_buf_free(&buf);
    cosma_plan_destroy(none);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- C header ------------------------------------------------------------ */

/* A graph whose names need every kind of escaping, with an empty optional
 * input: the graph's name starts with a digit; names with quotes, a
 * backslash, a trigraph, comment delimiters, XML specials and UTF-8. */
static cosma_graph_t *odd_graph(void)
{
    cosma_graph_t *graph = test_graph_new("9 lives/\"odd\"");
    cosma_loc_t loc = {0};
    int32_t in = test_graph_tensor(graph, "in\"put\\?\?=", COSMA_TENSOR_INPUT, 100);
    int32_t mid = test_graph_tensor(graph, "*/ m\xc3\xbc <&> /*", COSMA_TENSOR_ACTIVATION, 50);
    int32_t out = test_graph_tensor(graph, "out'\tput", COSMA_TENSOR_OUTPUT, 10);
    int32_t ins1[] = {in, -1}, outs1[] = {mid}, ins2[] = {mid}, outs2[] = {out};
    ck_assert_int_eq(cosma_graph_add_op(graph, "/conv/Conv \"1\"", "Conv", ins1, 2, outs1, 1, NULL, 0, loc, NULL),
                     COSMA_OK);
    ck_assert_int_eq(cosma_graph_add_op(graph, "relu?\?/", "Relu", ins2, 1, outs2, 1, NULL, 0, loc, NULL), COSMA_OK);
    ck_assert_int_eq(cosma_graph_finalize(graph, NULL), COSMA_OK);
    return graph;
}

/* in@0 (steps 1), mid@100 (1..2), out@0 (2). */
static cosma_plan_t *odd_plan(const cosma_graph_t *graph)
{
    cosma_plan_t *plan = cosma_plan_create(2, 3);
    plan->order[0] = 0;
    plan->order[1] = 1;
    set_interval(&plan->intervals[0], 0, 1, 1, 0, 100, COSMA_BEGIN_LOAD, COSMA_END_DROP);
    set_interval(&plan->intervals[1], 1, 1, 2, 100, 50, COSMA_BEGIN_CREATE, COSMA_END_DROP);
    set_interval(&plan->intervals[2], 2, 2, 2, 0, 10, COSMA_BEGIN_CREATE, COSMA_END_DROP);
    plan->budget_bytes = 150;
    plan->status = COSMA_PLAN_OPTIMAL;
    plan->method = "hand \"quoted\"";
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    cosma_plan_compute_traffic(graph, plan);
    return plan;
}

START_TEST(test_odd_names_round_trip)
{
    cosma_graph_t *graph = odd_graph();
    cosma_plan_t *plan = odd_plan(graph);
    char *text = emit_text(graph, plan);
    ck_assert_ptr_nonnull(strstr(text, "\"name\": \"9 lives/\\\"odd\\\"\""));
    ck_assert_ptr_nonnull(strstr(text, "{\"load\": \"in\\\"put\\\\?\?=\", \"offset\": 0, \"bytes\": 100, "
                                       "\"compulsory\": true}"));
    ck_assert_ptr_nonnull(strstr(text, "\"inputs\": [{\"tensor\": \"in\\\"put\\\\?\?=\", \"offset\": 0}, "
                                       "{\"tensor\": null, \"offset\": null}]"));
    ck_assert_ptr_nonnull(strstr(text, "{\"store\": \"out'\\tput\", \"offset\": 0, \"bytes\": 10}"));
    cosma_plan_t *read = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_parse_plan(text, strlen(text), "odd", graph, &read, &diag.diag), COSMA_OK);
    assert_plans_equal(plan, read);
    ck_assert_str_eq(read->method, "hand \"quoted\"");
    free(text);
    cosma_plan_destroy(read);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

static int have_cc(void)
{
    return system("cc --version >/dev/null 2>&1") == 0;
}

/* Compiles and runs a program that checks the tiny plan's tables. */
static const char TINY_MAIN[] =
    "#include \"tiny.h\"\n"
    "#include \"odd.h\"\n"
    "#include <string.h>\n"
    "int main(void)\n"
    "{\n"
    "    int bad = 0;\n"
    "    bad |= COSMA_TINY_N_STEPS != 3 || COSMA_TINY_N_OPS != 3 || COSMA_TINY_N_TENSORS != 5;\n"
    "    bad |= COSMA_TINY_N_EVENTS != 8 || COSMA_TINY_N_OPERANDS != 8;\n"
    "    bad |= COSMA_TINY_BUDGET_BYTES != 64 || COSMA_TINY_SPILL_BYTES != 32 || COSMA_TINY_RETRIEVE_BYTES != 32;\n"
    "    bad |= COSMA_TINY_NON_COMPULSORY_BYTES != 64 || COSMA_TINY_COMPULSORY_BYTES != 24;\n"
    "    bad |= COSMA_TINY_PEAK_BYTES != 64 || COSMA_TINY_LOWER_BOUND_BYTES != 16 || COSMA_TINY_PARAMS != 0;\n"
    "    bad |= strcmp(COSMA_TINY_STATUS, \"feasible\") != 0 || strcmp(COSMA_TINY_METHOD, \"hand\") != 0;\n"
    "    bad |= cosma_tiny_schedule[2] != 2 || strcmp(cosma_tiny_op_names[1], \"op2\") != 0;\n"
    "    bad |= strcmp(cosma_tiny_tensor_names[4], \"y\") != 0 || cosma_tiny_tensor_bytes[1] != 0;\n"
    "    bad |= cosma_tiny_tensor_bytes[2] != 32;\n"
    "    /* step 2 is events 2..3: spill a@16, run op2; step 3 is 4..7 */\n"
    "    bad |= cosma_tiny_step_events[0] != 0 || cosma_tiny_step_events[1] != 2;\n"
    "    bad |= cosma_tiny_step_events[2] != 4 || cosma_tiny_step_events[3] != 8;\n"
    "    const cosma_plan_event_t *e = &cosma_tiny_events[2];\n"
    "    bad |= e->kind != COSMA_EVENT_SPILL || e->index != 2 || e->offset != 16 || e->bytes != 32;\n"
    "    bad |= cosma_tiny_events[0].kind != COSMA_EVENT_LOAD || !cosma_tiny_events[0].compulsory;\n"
    "    bad |= cosma_tiny_events[5].kind != COSMA_EVENT_LOAD || cosma_tiny_events[5].compulsory;\n"
    "    bad |= cosma_tiny_events[6].kind != COSMA_EVENT_RUN || cosma_tiny_events[6].index != 2;\n"
    "    bad |= cosma_tiny_events[7].kind != COSMA_EVENT_STORE || cosma_tiny_events[7].index != 4;\n"
    "    /* operands: op1 x@0 w(none) a@16 | op2 x@0 b@16 | op3 a@32 b@16 y@0 */\n"
    "    bad |= cosma_tiny_step_operands[1] != 3 || cosma_tiny_step_operands[3] != 8;\n"
    "    bad |= cosma_tiny_operands[1].tensor != 1 || cosma_tiny_operands[1].offset != COSMA_PLAN_NO_OFFSET;\n"
    "    bad |= !cosma_tiny_operands[2].is_output || cosma_tiny_operands[2].offset != 16;\n"
    "    bad |= cosma_tiny_operands[5].offset != 32 || cosma_tiny_operands[7].tensor != 4;\n"
    "    /* the odd graph: names survive escaping, the empty input is -1 */\n"
    "    const char *in = cosma_9_lives__odd__tensor_names[0], *relu = cosma_9_lives__odd__op_names[1];\n"
    "    bad |= strlen(in) != 10 || in[2] != '\"' || in[6] != '\\\\' || in[7] != '?' || in[8] != '?';\n"
    "    bad |= strcmp(cosma_9_lives__odd__tensor_names[1], \"*/ m\\303\\274 <&> /*\") != 0;\n"
    "    bad |= strlen(relu) != 7 || relu[4] != '?' || relu[5] != '?' || relu[6] != '/';\n"
    "    bad |= cosma_9_lives__odd__operands[1].tensor != -1;\n"
    "    bad |= strcmp(COSMA_9_LIVES__ODD__METHOD, \"hand \\\"quoted\\\"\") != 0;\n"
    "    return bad;\n"
    "}\n";

START_TEST(test_c_header)
{
    make_tmp_dir();
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    cosma_graph_t *odd = odd_graph();
    cosma_plan_t *oplan = odd_plan(odd);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_c_header(graph, plan, tmp_path("tiny.h"), &diag.diag), COSMA_OK);
    ck_assert_int_eq(cosma_codegen_write_c_header(odd, oplan, tmp_path("odd.h"), &diag.diag), COSMA_OK);
    char *header = slurp(tmp_path("tiny.h"));
    ck_assert_ptr_nonnull(strstr(header, "#ifndef COSMA_TINY_PLAN_H\n#define COSMA_TINY_PLAN_H\n"));
    ck_assert_ptr_nonnull(strstr(header, "#include <stdint.h>\n"));
    ck_assert_ptr_nonnull(strstr(header, "#define COSMA_TINY_SPILL_BYTES UINT64_C(32)\n"));
    ck_assert_ptr_nonnull(strstr(header, "#define COSMA_TINY_N_EVENTS 8\n"));
    ck_assert_ptr_nonnull(strstr(header, "    /* step 2: op2 */\n"
                                         "    {COSMA_EVENT_SPILL, 2, UINT64_C(16), UINT64_C(32), 0}, /* spill a */\n"));
    ck_assert_ptr_nonnull(strstr(header, "static const uint32_t cosma_tiny_step_events[4] = {0, 2, 4, 8};\n"));
    free(header);
    char *odd_header = slurp(tmp_path("odd.h"));
    /* No comment ends early, no trigraph survives. */
    ck_assert_ptr_null(strstr(odd_header, "??"));
    ck_assert_int_eq(count(odd_header, "*/"), count(odd_header, "/*"));
    free(odd_header);

    /* Generated headers must not need a single fix to compile cleanly. */
    if (have_cc()) {
        FILE *file = fopen(tmp_path("main.c"), "w");
        ck_assert_ptr_nonnull(file);
        fputs(TINY_MAIN, file);
        fclose(file);
        char command[1024];
        snprintf(command, sizeof command,
                 "cd '%s' && cc -std=c11 -Wall -Wextra -Werror -pedantic -c main.c -o main.o 2>errors.txt && "
                 "cc main.o -o main 2>>errors.txt && ./main",
                 tmp_dir);
        int rc = system(command);
        if (rc != 0) {
            char *errors = slurp(tmp_path("errors.txt"));
            ck_abort_msg("generated headers do not compile or hold wrong values (rc %d):\n%s", rc, errors);
        }
    }
    cosma_plan_destroy(oplan);
    cosma_graph_destroy(odd);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    remove_tmp_dir();
}
END_TEST

/* An infeasible plan still gives a header that compiles: empty tables get
 * one placeholder entry. */
START_TEST(test_c_header_infeasible)
{
    make_tmp_dir();
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = cosma_plan_create(0, 0);
    plan->status = COSMA_PLAN_INFEASIBLE;
    ck_assert_int_eq(cosma_codegen_write_c_header(graph, plan, tmp_path("tiny.h"), NULL), COSMA_OK);
    char *header = slurp(tmp_path("tiny.h"));
    ck_assert_ptr_nonnull(strstr(header, "#define COSMA_TINY_N_STEPS 0\n"));
    ck_assert_ptr_nonnull(strstr(header, "#define COSMA_TINY_N_EVENTS 0\n"));
    ck_assert_ptr_nonnull(strstr(header, "static const uint32_t cosma_tiny_step_events[1] = {0};\n"));
    free(header);
    if (have_cc()) {
        FILE *file = fopen(tmp_path("main.c"), "w");
        fputs("#include \"tiny.h\"\nint main(void) { return COSMA_TINY_N_STEPS + (int)cosma_tiny_step_events[0]; }\n",
              file);
        fclose(file);
        char command[512];
        snprintf(command, sizeof command,
                 "cd '%s' && cc -std=c11 -Wall -Wextra -Werror -c main.c -o main.o 2>/dev/null", tmp_dir);
        ck_assert_int_eq(system(command), 0);
    }
    /* A plan that is not the graph's is refused with a message. */
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *wrong = cosma_plan_create(2, 0);
    ck_assert_int_eq(cosma_codegen_write_c_header(graph, wrong, tmp_path("w.h"), &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "does not belong to graph 'tiny'"));
    ck_assert_int_ne(access(tmp_path("w.h"), F_OK), 0);
    cosma_plan_destroy(wrong);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    remove_tmp_dir();
}
END_TEST

/* ---- SVG ----------------------------------------------------------------- */

START_TEST(test_svg)
{
    make_tmp_dir();
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = tiny_plan(graph, 0);
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_codegen_write_svg(graph, plan, tmp_path("tiny.svg"), &diag.diag), COSMA_OK);
    char *svg = slurp(tmp_path("tiny.svg"));
    ck_assert_ptr_nonnull(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1600\" height=\"900\""));
    ck_assert_int_eq(count(svg, "<rect class=\"iv\""), 5);
    ck_assert_int_eq(count(svg, "<title>"), 6); /* the picture's and one per interval */
    ck_assert_ptr_nonnull(strstr(svg, "<g class=\"budget\">"));
    ck_assert_ptr_nonnull(strstr(svg, "budget 64 B</text>"));
    /* Markers: compulsory load of x, retrieve of a, spill of a, plus the
     * three legend samples. */
    ck_assert_int_eq(count(svg, "<polygon"), 6);
    ck_assert_int_eq(count(svg, "fill=\"#1565c0\""), 2);
    ck_assert_int_eq(count(svg, "fill=\"#c62828\""), 2);
    /* The axis reaches 70 B (64 * 1.04 rounded up to a tick of 10). */
    ck_assert_ptr_nonnull(strstr(svg, ">70 B</text>"));
    ck_assert_ptr_nonnull(strstr(svg, "<title>a (activation)\n32 bytes at offset 16..48\nsteps 1..1 (op1 .. op1)\n"
                                      "begins: created; ends: spilled</title>"));
    ck_assert_ptr_nonnull(strstr(svg, "non-compulsory traffic 64 B (spill 32 B + retrieve 32 B)"));
    free(svg);

    /* Names are escaped; no raw '<' or '&' from a name reaches the file. */
    cosma_graph_t *odd = odd_graph();
    cosma_plan_t *oplan = odd_plan(odd);
    ck_assert_int_eq(cosma_codegen_write_svg(odd, oplan, tmp_path("odd.svg"), &diag.diag), COSMA_OK);
    svg = slurp(tmp_path("odd.svg"));
    ck_assert_int_eq(count(svg, "<rect class=\"iv\""), 3);
    ck_assert_ptr_nonnull(strstr(svg, "*/ m\xc3\xbc &lt;&amp;&gt; /*"));
    ck_assert_ptr_nonnull(strstr(svg, "in&quot;put\\?\?="));
    ck_assert_ptr_null(strstr(svg, "<&>"));
    ck_assert_ptr_null(strstr(svg, "\t"));
    free(svg);

    /* Infeasible: axes and budget, no boxes. */
    cosma_plan_t *none = cosma_plan_create(0, 0);
    none->status = COSMA_PLAN_INFEASIBLE;
    none->budget_bytes = 40;
    ck_assert_int_eq(cosma_codegen_write_svg(graph, none, tmp_path("none.svg"), &diag.diag), COSMA_OK);
    svg = slurp(tmp_path("none.svg"));
    ck_assert_int_eq(count(svg, "<rect class=\"iv\""), 0);
    ck_assert_ptr_nonnull(strstr(svg, "budget 40 B</text>"));
    ck_assert_ptr_nonnull(strstr(svg, "infeasible: no plan"));
    free(svg);
    ck_assert_int_eq(diag.diag.n_errors, 0);
    cosma_plan_destroy(none);
    cosma_plan_destroy(oplan);
    cosma_graph_destroy(odd);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    remove_tmp_dir();
}
END_TEST

/* A 120-step chain with skip connections: each activation t_i is read by
 * the next operator and by the one three steps later; it is spilled after
 * its first reader and retrieved for its second.  The picture keeps one box
 * per interval and its fixed width whatever the step count. */
START_TEST(test_svg_long)
{
    enum { N = 120 };
    make_tmp_dir();
    cosma_graph_t *graph = test_graph_new("chain");
    char name[32], inputs[64], outputs[32];
    test_graph_tensor(graph, "t0", COSMA_TENSOR_INPUT, 1000);
    for (int i = 1; i <= N; i++) {
        snprintf(name, sizeof name, "t%d", i);
        test_graph_tensor(graph, name, i == N ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION,
                          (uint64_t)(1000 * (1 + (i * 7) % 5)));
    }
    for (int i = 1; i <= N; i++) {
        if (i >= 4)
            snprintf(inputs, sizeof inputs, "t%d,t%d", i - 1, i - 3);
        else
            snprintf(inputs, sizeof inputs, "t%d", i - 1);
        snprintf(outputs, sizeof outputs, "t%d", i);
        snprintf(name, sizeof name, "op%d", i);
        test_graph_op(graph, name, inputs, outputs);
    }
    ck_assert_int_eq(cosma_graph_finalize(graph, NULL), COSMA_OK);
    /* t_i (i < N) lives at steps i..i+1 at slot (i % 2), is spilled unless
     * nobody reads it three steps later, and comes back at step i + 3 in
     * slot 2 + (i % 3).  Slots are 5000 bytes apart (largest tensor). */
    cosma_plan_t *plan = cosma_plan_create(N, 2 * N);
    int32_t n = 0;
    set_interval(&plan->intervals[n++], 0, 1, 1, 0, 1000, COSMA_BEGIN_LOAD, COSMA_END_DROP);
    for (int i = 1; i <= N; i++) {
        uint64_t bytes = (uint64_t)(1000 * (1 + (i * 7) % 5));
        int reread = i + 3 <= N;
        int last = i < N ? i + 1 : i;
        set_interval(&plan->intervals[n++], i, i, last, (uint64_t)(i % 2) * 5000, bytes, COSMA_BEGIN_CREATE,
                     reread ? COSMA_END_SPILL : COSMA_END_DROP);
        if (reread)
            set_interval(&plan->intervals[n++], i, i + 3, i + 3, (uint64_t)(2 + i % 3) * 5000, bytes,
                         COSMA_BEGIN_LOAD, COSMA_END_DROP);
    }
    plan->n_intervals = n;
    for (int t = 0; t < N; t++)
        plan->order[t] = t;
    plan->budget_bytes = 26000;
    plan->method = "hand";
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    cosma_plan_compute_traffic(graph, plan);
    ck_assert_int_eq(n, 1 + N + (N - 3));
    test_diag_t diag;
    test_diag_init(&diag);
    const char *dir = getenv("COSMA_TEST_SVG_DIR"); /* to look at the picture */
    char path[256];
    snprintf(path, sizeof path, "%s/chain.svg", dir != NULL ? dir : tmp_dir);
    ck_assert_int_eq(cosma_codegen_write_svg(graph, plan, path, &diag.diag), COSMA_OK);
    char *svg = slurp(path);
    ck_assert_int_eq(count(svg, "<rect class=\"iv\""), n);
    ck_assert_ptr_nonnull(strstr(svg, "width=\"1600\""));
    ck_assert_ptr_nonnull(strstr(svg, "budget 26,000 B</text>"));
    free(svg);
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/tiny.svg", dir);
        cosma_graph_t *tiny = test_doc_graph();
        cosma_plan_t *tplan = tiny_plan(tiny, 1);
        ck_assert_int_eq(cosma_codegen_write_svg(tiny, tplan, path, &diag.diag), COSMA_OK);
        cosma_plan_destroy(tplan);
        cosma_graph_destroy(tiny);
    }
    /* The plan file of the long plan round-trips too. */
    char *text = emit_text(graph, plan);
    cosma_plan_t *read = NULL;
    ck_assert_int_eq(cosma_codegen_parse_plan(text, strlen(text), "chain", graph, &read, &diag.diag), COSMA_OK);
    cosma_plan_sort_intervals(plan);
    assert_plans_equal(plan, read);
    free(text);
    cosma_plan_destroy(read);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    remove_tmp_dir();
}
END_TEST

static Suite *codegen_suite(void)
{
    Suite *suite = suite_create("codegen");
    TCase *plan_file = tcase_create("plan_file");
    tcase_add_test(plan_file, test_plan_exact_text);
    tcase_add_test(plan_file, test_plan_params_events);
    tcase_add_test(plan_file, test_plan_round_trip);
    tcase_add_test(plan_file, test_plan_files_deterministic);
    tcase_add_test(plan_file, test_plan_infeasible);
    tcase_add_test(plan_file, test_plan_writer_usage);
    tcase_add_test(plan_file, test_odd_names_round_trip);
    suite_add_tcase(suite, plan_file);
    TCase *reader = tcase_create("reader_errors");
    tcase_add_loop_test(reader, test_reader_errors, 0, (int)(sizeof BAD_CASES / sizeof BAD_CASES[0]));
    tcase_add_test(reader, test_reader_hash_mismatch);
    tcase_add_test(reader, test_reader_never_crashes);
    suite_add_tcase(suite, reader);
    TCase *outputs = tcase_create("outputs");
    tcase_set_timeout(outputs, 60);
    tcase_add_test(outputs, test_summary);
    tcase_add_test(outputs, test_c_header);
    tcase_add_test(outputs, test_c_header_infeasible);
    tcase_add_test(outputs, test_svg);
    tcase_add_test(outputs, test_svg_long);
    suite_add_tcase(suite, outputs);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(codegen_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
