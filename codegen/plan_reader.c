/* plan_reader.c: reads a plan file back into a cosma_plan_t, resolving
 * names against the graph.  Plan files are edited by hand and shipped
 * between machines, so every malformed value is a precise error (cJSON has
 * no line numbers: errors name the JSON path) and never a crash.  The
 * redundant "steps" section is checked against the event schedule of the
 * schedule and intervals read (cosma_schedule_build), so a runtime that
 * follows the steps and a verifier that checks the intervals can never
 * disagree. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <cosma/codegen.h>

/* The largest integer every JSON reader holds exactly (2^53 - 1). */
#define PLAN_MAX_INTEGER UINT64_C(9007199254740991)

typedef struct {
    const char *name; /* the file's display name, first in every message */
    cosma_diag_t *diag;
} reader_t;

/* A JSON path such as "intervals[12].offset". */
typedef struct {
    char text[160];
} path_t;

static path_t path_key(const char *parent, const char *key)
{
    path_t path;
    if (parent[0] == '\0')
        snprintf(path.text, sizeof path.text, "%.100s", key);
    else
        snprintf(path.text, sizeof path.text, "%.100s.%.40s", parent, key);
    return path;
}

static path_t path_index(const char *parent, int index)
{
    path_t path;
    snprintf(path.text, sizeof path.text, "%.120s[%d]", parent, index);
    return path;
}

static cosma_status_t fail(const reader_t *r, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static cosma_status_t fail(const reader_t *r, const char *path, const char *fmt, ...)
{
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (path[0] == '\0')
        cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: %s", r->name, message);
    else
        cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: %s: %s", r->name, path, message);
    return COSMA_ERR_INPUT;
}

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    return "an unknown value";
}

static const char *where(const char *path)
{
    return path[0] == '\0' ? " at the top level" : "";
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Objects up to this many keys are checked pairwise; larger ones sorted. */
#define SMALL_OBJECT 16

/* cJSON keeps duplicate keys and finds the first; a second one would be
 * silently ignored, so it is an error.  Sorting keeps a file with a great
 * many (ignored) unknown keys O(n log n). */
static cosma_status_t check_object(const reader_t *r, const cJSON *object, const char *path, const char *what)
{
    if (!cJSON_IsObject(object))
        return fail(r, path, "expected %s (a JSON object), got %s", what, type_name(object));
    size_t n = 0;
    for (const cJSON *a = object->child; a != NULL; a = a->next)
        n++;
    if (n <= SMALL_OBJECT) {
        for (const cJSON *a = object->child; a != NULL; a = a->next)
            for (const cJSON *b = object->child; b != a; b = b->next)
                if (a->string != NULL && b->string != NULL && strcmp(a->string, b->string) == 0)
                    return fail(r, path, "key \"%.200s\" appears twice%s", a->string, where(path));
        return COSMA_OK;
    }
    const char **keys = malloc(n * sizeof *keys);
    if (keys == NULL)
        return COSMA_ERR_NOMEM;
    size_t k = 0;
    for (const cJSON *a = object->child; a != NULL; a = a->next)
        if (a->string != NULL)
            keys[k++] = a->string;
    qsort(keys, k, sizeof *keys, compare_keys);
    cosma_status_t status = COSMA_OK;
    for (size_t i = 1; i < k && status == COSMA_OK; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            status = fail(r, path, "key \"%.200s\" appears twice%s", keys[i], where(path));
    free(keys);
    return status;
}

static cosma_status_t member(const reader_t *r, const cJSON *object, const char *path, const char *key,
                             const cJSON **out_item)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (item == NULL)
        return fail(r, path, "missing key \"%s\"", key);
    *out_item = item;
    return COSMA_OK;
}

static cosma_status_t integer_value(const reader_t *r, const cJSON *item, const char *path, uint64_t max,
                                    uint64_t *out_value)
{
    if (!cJSON_IsNumber(item))
        return fail(r, path, "expected a non-negative integer, got %s", type_name(item));
    double value = item->valuedouble;
    if (!(value >= 0.0)) /* also NaN */
        return fail(r, path, "expected a non-negative integer, got %.17g", value);
    if (value > (double)PLAN_MAX_INTEGER)
        return fail(r, path, "%.17g is beyond 2^53 - 1, the largest integer a plan file holds exactly", value);
    uint64_t integer = (uint64_t)value;
    if ((double)integer != value)
        return fail(r, path, "expected a non-negative integer, got %.17g", value);
    if (integer > max)
        return fail(r, path, "%" PRIu64 " is out of range (at most %" PRIu64 ")", integer, max);
    *out_value = integer;
    return COSMA_OK;
}

static cosma_status_t get_u64(const reader_t *r, const cJSON *object, const char *path, const char *key,
                              uint64_t max, uint64_t *out_value)
{
    const cJSON *item = NULL;
    cosma_status_t status = member(r, object, path, key, &item);
    if (status != COSMA_OK)
        return status;
    return integer_value(r, item, path_key(path, key).text, max, out_value);
}

static cosma_status_t get_string(const reader_t *r, const cJSON *object, const char *path, const char *key,
                                 const char **out_text)
{
    const cJSON *item = NULL;
    cosma_status_t status = member(r, object, path, key, &item);
    if (status != COSMA_OK)
        return status;
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(r, path_key(path, key).text, "expected a string, got %s", type_name(item));
    *out_text = item->valuestring;
    return COSMA_OK;
}

static cosma_status_t get_bool(const reader_t *r, const cJSON *object, const char *path, const char *key,
                               int *out_value)
{
    const cJSON *item = NULL;
    cosma_status_t status = member(r, object, path, key, &item);
    if (status != COSMA_OK)
        return status;
    if (!cJSON_IsBool(item))
        return fail(r, path_key(path, key).text, "expected true or false, got %s", type_name(item));
    *out_value = cJSON_IsTrue(item) ? 1 : 0;
    return COSMA_OK;
}

static cosma_status_t get_array(const reader_t *r, const cJSON *object, const char *path, const char *key,
                                const cJSON **out_array)
{
    const cJSON *item = NULL;
    cosma_status_t status = member(r, object, path, key, &item);
    if (status != COSMA_OK)
        return status;
    if (!cJSON_IsArray(item))
        return fail(r, path_key(path, key).text, "expected an array, got %s", type_name(item));
    *out_array = item;
    return COSMA_OK;
}

static cosma_status_t get_object(const reader_t *r, const cJSON *object, const char *path, const char *key,
                                 const char *what, const cJSON **out_object)
{
    const cJSON *item = NULL;
    cosma_status_t status = member(r, object, path, key, &item);
    if (status != COSMA_OK)
        return status;
    if ((status = check_object(r, item, path_key(path, key).text, what)) != COSMA_OK)
        return status;
    *out_object = item;
    return COSMA_OK;
}

/* Exact structural equality: cJSON_Compare treats numbers within a relative
 * epsilon as equal, which would let 2^53 - 2 pass for 2^53 - 1. */
static int json_equal(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a))
        return a->valuestring != NULL && b->valuestring != NULL && strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        if (cJSON_IsArray(a)) {
            for (const cJSON *x = a->child, *y = b->child; x != NULL && y != NULL; x = x->next, y = y->next)
                if (!json_equal(x, y))
                    return 0;
            return 1;
        }
        for (int pass = 0; pass < 2; pass++)
            for (const cJSON *x = (pass == 0 ? a : b)->child; x != NULL; x = x->next) {
                const cJSON *y = x->string != NULL ? cJSON_GetObjectItemCaseSensitive(pass == 0 ? b : a, x->string)
                                                   : NULL;
                if (y == NULL || !json_equal(x, y))
                    return 0;
            }
        return 1;
    }
    return 1; /* null, true, false: the type says it all */
}

/* ---- the text, checked before cJSON sees it --------------------------- */

typedef struct {
    const reader_t *r;
    const char *text;
    size_t length, at;
} lexer_t;

static cosma_status_t lex_fail(const lexer_t *lx, size_t start, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static cosma_status_t lex_fail(const lexer_t *lx, size_t start, const char *fmt, ...)
{
    int line = 1, column = 1;
    for (size_t i = 0; i < start; i++) /* only on failure: no cost otherwise */
        if (lx->text[i] == '\n')
            line++, column = 1;
        else if (((unsigned char)lx->text[i] & 0xC0) != 0x80)
            column++;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cosma_loc_t loc = {lx->r->name, line, column};
    cosma_diag_error_at(lx->r->diag, loc, "invalid JSON: %s", message);
    return COSMA_ERR_INPUT;
}

static int hex_value(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return 0;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 1;
}

/* A string literal from its opening quote: strict UTF-8, no \\u0000 (C
 * strings would end there) and no lone surrogate escapes. */
static cosma_status_t lex_string(lexer_t *lx)
{
    size_t start = lx->at++;
    while (lx->at < lx->length) {
        const char *p = lx->text + lx->at;
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            lx->at++;
            return COSMA_OK;
        }
        if (c < 0x20)
            return lex_fail(lx, lx->at, "a control character (byte 0x%02x) inside a string", c);
        if (c == '\\' && (lx->at + 1 >= lx->length || strchr("\"\\/bfnrtu", p[1]) == NULL || p[1] == '\0'))
            return lex_fail(lx, lx->at, "an invalid escape sequence inside a string");
        if (c == '\\' && p[1] == 'u') {
            uint32_t unit, low;
            if (lx->at + 6 > lx->length || !hex_value(p + 2, &unit))
                return lex_fail(lx, lx->at, "\\u needs four hexadecimal digits");
            if (unit == 0)
                return lex_fail(lx, lx->at, "\\u0000 inside a string (names cannot hold NUL characters)");
            if (unit >= 0xDC00 && unit <= 0xDFFF)
                return lex_fail(lx, lx->at, "\\u%04X is half of a surrogate pair with no first half", unit);
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                if (lx->at + 12 > lx->length || p[6] != '\\' || p[7] != 'u' || !hex_value(p + 8, &low) ||
                    low < 0xDC00 || low > 0xDFFF)
                    return lex_fail(lx, lx->at, "\\u%04X is half of a surrogate pair with no second half", unit);
                lx->at += 6;
            }
            lx->at += 6;
            continue;
        }
        if (c == '\\') {
            lx->at += 2;
            continue;
        }
        uint32_t cp;
        size_t n = cosma_utf8_decode(p, lx->length - lx->at, &cp);
        if (n == 0)
            return lex_fail(lx, lx->at, "invalid UTF-8 (byte 0x%02x) inside a string", c);
        lx->at += n;
    }
    return lex_fail(lx, start, "a string that is never closed");
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Skips digits from *at; returns how many. */
static size_t skip_digits(const lexer_t *lx, size_t *at)
{
    size_t from = *at;
    while (*at < lx->length && is_digit(lx->text[*at]))
        (*at)++;
    return *at - from;
}

/* A number: RFC 8259's grammar (no leading zeros), not -0, and a value a
 * double holds (1e-400 would silently read as 0, 1e400 as infinity). */
static cosma_status_t lex_number(lexer_t *lx)
{
    const char *t = lx->text;
    size_t start = lx->at, at = start, int_start;
    if (t[at] == '-')
        at++;
    int_start = at;
    size_t int_digits = skip_digits(lx, &at);
    if (int_digits == 0)
        return lex_fail(lx, start, "a malformed number (no digits)");
    if (int_digits > 1 && t[int_start] == '0')
        return lex_fail(lx, start, "a number with a leading zero (JSON numbers have none)");
    int nonzero = 0;
    for (size_t k = int_start; k < at; k++)
        nonzero |= t[k] != '0';
    if (at < lx->length && t[at] == '.') {
        size_t frac = ++at;
        if (skip_digits(lx, &at) == 0)
            return lex_fail(lx, start, "a malformed number (no digits after the decimal point)");
        for (size_t k = frac; k < at; k++)
            nonzero |= t[k] != '0';
    }
    if (at < lx->length && (t[at] == 'e' || t[at] == 'E')) {
        at++;
        if (at < lx->length && (t[at] == '+' || t[at] == '-'))
            at++;
        if (skip_digits(lx, &at) == 0)
            return lex_fail(lx, start, "a malformed number (no digits in the exponent)");
    }
    lx->at = at;
    char number[64];
    if (at - start >= sizeof number)
        return lex_fail(lx, start, "a number of more than %zu characters", sizeof number - 1);
    memcpy(number, t + start, at - start);
    number[at - start] = '\0';
    if (t[start] == '-' && !nonzero)
        return lex_fail(lx, start, "the number %s is a negative zero", number);
    double value = strtod(number, NULL);
    if (value == 0.0 && nonzero)
        return lex_fail(lx, start, "the number %s is too small to be held (it would read as 0)", number);
    if (value > 1.7976931348623157e308 || value < -1.7976931348623157e308)
        return lex_fail(lx, start, "the number %s is too large to be held", number);
    return COSMA_OK;
}

/* A plan nests six levels deep; far deeper text is refused with a clear
 * message before cJSON (whose own limit is 1000) recurses into it. */
#define PLAN_MAX_DEPTH 64

typedef enum { X_VALUE, X_VALUE_OR_CLOSE, X_KEY, X_KEY_OR_CLOSE, X_COLON, X_COMMA_OR_CLOSE, X_END } expect_t;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The whole text is checked against JSON's grammar here, with a position
 * for every error; cJSON then only builds the tree, so a failure of cJSON
 * on text that passed is out of memory, not bad input. */
static cosma_status_t check_syntax(const reader_t *r, const char *text, size_t length)
{
    lexer_t lx = {r, text, length, 0};
    char stack[PLAN_MAX_DEPTH]; /* '[' or '{' */
    int depth = 0;
    expect_t expect = X_VALUE;
    cosma_status_t status = COSMA_OK;
    while (status == COSMA_OK) {
        while (lx.at < length && is_blank(text[lx.at]))
            lx.at++;
        if (lx.at >= length)
            return expect == X_END ? COSMA_OK : lex_fail(&lx, length, "the text ends too early");
        char c = text[lx.at];
        int value_done = 0;
        switch (expect) {
        case X_VALUE_OR_CLOSE:
        case X_VALUE:
            if (c == ']' && expect == X_VALUE_OR_CLOSE) {
                depth--, lx.at++, value_done = 1;
            } else if (c == '[' || c == '{') {
                if (depth >= PLAN_MAX_DEPTH)
                    return lex_fail(&lx, lx.at, "arrays and objects nest deeper than %d levels", PLAN_MAX_DEPTH);
                stack[depth++] = c;
                lx.at++;
                expect = c == '[' ? X_VALUE_OR_CLOSE : X_KEY_OR_CLOSE;
            } else if (c == '"') {
                status = lex_string(&lx), value_done = 1;
            } else if (c == '-' || is_digit(c)) {
                status = lex_number(&lx), value_done = 1;
            } else {
                const char *words[] = {"true", "false", "null"};
                size_t k = 0;
                while (k < 3 && (length - lx.at < strlen(words[k]) ||
                                 memcmp(text + lx.at, words[k], strlen(words[k])) != 0))
                    k++;
                if (k == 3)
                    return lex_fail(&lx, lx.at, "expected a value (found '%c')", c >= 0x20 && c < 0x7f ? c : '?');
                lx.at += strlen(words[k]), value_done = 1;
            }
            break;
        case X_KEY_OR_CLOSE:
        case X_KEY:
            if (c == '}' && expect == X_KEY_OR_CLOSE) {
                depth--, lx.at++, value_done = 1;
            } else if (c == '"') {
                status = lex_string(&lx);
                expect = X_COLON;
            } else {
                return lex_fail(&lx, lx.at, "expected a key (a string in double quotes)");
            }
            break;
        case X_COLON:
            if (c != ':')
                return lex_fail(&lx, lx.at, "expected ':' after a key");
            lx.at++;
            expect = X_VALUE;
            break;
        case X_COMMA_OR_CLOSE:
            if (c == ',') {
                lx.at++;
                expect = stack[depth - 1] == '[' ? X_VALUE : X_KEY;
            } else if ((c == ']' && stack[depth - 1] == '[') || (c == '}' && stack[depth - 1] == '{')) {
                depth--, lx.at++, value_done = 1;
            } else {
                return lex_fail(&lx, lx.at, "expected ',' or '%c'", stack[depth - 1] == '[' ? ']' : '}');
            }
            break;
        case X_END:
            return lex_fail(&lx, lx.at, "more text after the plan's JSON object");
        }
        if (value_done)
            expect = depth == 0 ? X_END : X_COMMA_OR_CLOSE;
    }
    return status;
}

/* The scalar part of the file; strings point into the cJSON tree. */
typedef struct {
    const char *graph_name, *method;
    uint64_t graph_hash, budget_bytes, lower_bound_bytes;
    cosma_mode_t mode;
    cosma_plan_status_t status;
} header_t;

static cosma_status_t read_header(const reader_t *r, const cJSON *root, const cosma_graph_t *graph,
                                  header_t *out_header)
{
    cosma_status_t status;
    const char *format = NULL;
    if (cJSON_GetObjectItemCaseSensitive(root, "format") == NULL)
        return fail(r, "", "missing key \"format\" (this is not a cosma plan file)");
    if ((status = get_string(r, root, "", "format", &format)) != COSMA_OK)
        return status;
    if (strcmp(format, "cosma-plan") != 0)
        return fail(r, "format", "expected \"cosma-plan\", got \"%.60s\"", format);
    uint64_t version = 0;
    if ((status = get_u64(r, root, "", "version", PLAN_MAX_INTEGER, &version)) != COSMA_OK)
        return status;
    if (version != COSMA_PLAN_FORMAT_VERSION)
        return fail(r, "version",
                    "plan format version %" PRIu64 " is not supported (this reader understands version %d)", version,
                    COSMA_PLAN_FORMAT_VERSION);

    const cJSON *g = NULL;
    const char *hash_text = NULL;
    uint64_t n_ops = 0, n_tensors = 0;
    if ((status = get_object(r, root, "", "graph", "the graph's identity", &g)) != COSMA_OK ||
        (status = get_string(r, g, "graph", "name", &out_header->graph_name)) != COSMA_OK ||
        (status = get_string(r, g, "graph", "hash", &hash_text)) != COSMA_OK)
        return status;
    int hex = strlen(hash_text) == 16;
    for (size_t k = 0; hex && k < 16; k++)
        hex = strchr("0123456789abcdefABCDEF", hash_text[k]) != NULL;
    if (!hex)
        return fail(r, "graph.hash", "expected 16 hexadecimal digits, got \"%.40s\"", hash_text);
    uint64_t hash = strtoull(hash_text, NULL, 16);
    uint64_t graph_hash = cosma_graph_hash(graph);
    if (hash != graph_hash)
        return fail(r, "graph",
                    "plan was made for graph '%.200s' (hash %016" PRIx64 "), not for graph '%.200s' (hash %016" PRIx64
                    ")",
                    out_header->graph_name, hash, graph->name, graph_hash);
    if ((status = get_u64(r, g, "graph", "operators", PLAN_MAX_INTEGER, &n_ops)) != COSMA_OK ||
        (status = get_u64(r, g, "graph", "tensors", PLAN_MAX_INTEGER, &n_tensors)) != COSMA_OK)
        return status;
    if (n_ops != (uint64_t)graph->n_ops)
        return fail(r, "graph.operators", "the plan says %" PRIu64 ", graph '%s' has %" PRId32, n_ops, graph->name,
                    graph->n_ops);
    if (n_tensors != (uint64_t)graph->n_tensors)
        return fail(r, "graph.tensors", "the plan says %" PRIu64 ", graph '%s' has %" PRId32, n_tensors,
                    graph->name, graph->n_tensors);
    out_header->graph_hash = hash;

    const cJSON *mode = NULL;
    uint64_t elem_bytes = 0;
    if ((status = get_u64(r, root, "", "budget_bytes", PLAN_MAX_INTEGER, &out_header->budget_bytes)) != COSMA_OK ||
        (status = get_object(r, root, "", "mode", "the accounting mode", &mode)) != COSMA_OK ||
        (status = get_bool(r, mode, "mode", "params", &out_header->mode.with_params)) != COSMA_OK ||
        (status = get_u64(r, mode, "mode", "elem_bytes", UINT32_MAX, &elem_bytes)) != COSMA_OK)
        return status;
    out_header->mode.elem_bytes = (uint32_t)elem_bytes;

    const char *plan_status = NULL;
    if ((status = get_string(r, root, "", "status", &plan_status)) != COSMA_OK)
        return status;
    if (strcmp(plan_status, "optimal") == 0)
        out_header->status = COSMA_PLAN_OPTIMAL;
    else if (strcmp(plan_status, "feasible") == 0)
        out_header->status = COSMA_PLAN_FEASIBLE;
    else if (strcmp(plan_status, "infeasible") == 0)
        out_header->status = COSMA_PLAN_INFEASIBLE;
    else
        return fail(r, "status", "expected \"optimal\", \"feasible\" or \"infeasible\", got \"%.60s\"",
                    plan_status);
    if ((status = get_string(r, root, "", "method", &out_header->method)) != COSMA_OK ||
        (status = get_u64(r, root, "", "lower_bound_bytes", PLAN_MAX_INTEGER, &out_header->lower_bound_bytes)) !=
            COSMA_OK)
        return status;
    return COSMA_OK;
}

static cosma_status_t read_schedule(const reader_t *r, const cJSON *schedule, const cosma_graph_t *graph,
                                    cosma_plan_t *plan)
{
    int32_t *step_of = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
    if (step_of == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t o = 0; o < graph->n_ops; o++)
        step_of[o] = -1;
    cosma_status_t status = COSMA_OK;
    int32_t t = 0;
    for (const cJSON *item = schedule->child; item != NULL && status == COSMA_OK; item = item->next, t++) {
        path_t path = path_index("schedule", t);
        int32_t op = -1;
        if (!cJSON_IsString(item) || item->valuestring == NULL)
            status = fail(r, path.text, "expected an operator name, got %s", type_name(item));
        else if ((op = cosma_graph_find_op(graph, item->valuestring)) < 0)
            status = fail(r, path.text, "no operator named \"%.200s\" in graph '%s'", item->valuestring, graph->name);
        else if (step_of[op] >= 0)
            status = fail(r, path.text, "operator \"%.200s\" is scheduled twice (also at schedule[%" PRId32 "])",
                          item->valuestring, step_of[op]);
        else
            step_of[op] = t;
        if (status == COSMA_OK)
            plan->order[t] = op;
    }
    free(step_of);
    return status;
}

static cosma_status_t read_intervals(const reader_t *r, const cJSON *intervals, const cosma_graph_t *graph,
                                     const uint64_t *sizes, cosma_plan_t *plan)
{
    cosma_status_t status;
    int32_t i = 0;
    for (const cJSON *item = intervals->child; item != NULL; item = item->next, i++) {
        path_t path = path_index("intervals", i);
        cosma_interval_t *iv = &plan->intervals[i];
        const char *tensor = NULL, *begin = NULL, *end = NULL;
        uint64_t first = 0, last = 0;
        if ((status = check_object(r, item, path.text, "an interval")) != COSMA_OK ||
            (status = get_string(r, item, path.text, "tensor", &tensor)) != COSMA_OK)
            return status;
        iv->tensor = cosma_graph_find_tensor(graph, tensor);
        if (iv->tensor < 0)
            return fail(r, path_key(path.text, "tensor").text, "no tensor named \"%.200s\" in graph '%s'", tensor,
                        graph->name);
        if (!cosma_tensor_is_planned(graph, iv->tensor, &plan->mode))
            return fail(r, path_key(path.text, "tensor").text,
                        "tensor \"%.200s\" takes no scratchpad space in this mode (%s)", tensor,
                        graph->tensors[iv->tensor].kind == COSMA_TENSOR_PARAM && !plan->mode.with_params
                            ? "a parameter, and \"params\" is false"
                            : "nothing reads it");
        if ((status = get_u64(r, item, path.text, "first", PLAN_MAX_INTEGER, &first)) != COSMA_OK ||
            (status = get_u64(r, item, path.text, "last", PLAN_MAX_INTEGER, &last)) != COSMA_OK)
            return status;
        if (first < 1 || first > (uint64_t)plan->n_steps)
            return fail(r, path_key(path.text, "first").text, "step %" PRIu64 " is not in 1..%" PRId32, first,
                        plan->n_steps);
        if (last < first || last > (uint64_t)plan->n_steps)
            return fail(r, path_key(path.text, "last").text, "step %" PRIu64 " is not in %" PRIu64 "..%" PRId32,
                        last, first, plan->n_steps);
        iv->first = (int32_t)first;
        iv->last = (int32_t)last;
        if ((status = get_u64(r, item, path.text, "offset", PLAN_MAX_INTEGER, &iv->offset)) != COSMA_OK ||
            (status = get_u64(r, item, path.text, "bytes", PLAN_MAX_INTEGER, &iv->bytes)) != COSMA_OK)
            return status;
        if (iv->bytes != sizes[iv->tensor])
            return fail(r, path_key(path.text, "bytes").text,
                        "%" PRIu64 ", but tensor \"%.200s\" takes %" PRIu64 " bytes in this mode", iv->bytes, tensor,
                        sizes[iv->tensor]);
        if ((status = get_string(r, item, path.text, "begin", &begin)) != COSMA_OK)
            return status;
        if (strcmp(begin, "create") == 0)
            iv->begin = COSMA_BEGIN_CREATE;
        else if (strcmp(begin, "load") == 0)
            iv->begin = COSMA_BEGIN_LOAD;
        else
            return fail(r, path_key(path.text, "begin").text, "expected \"create\" or \"load\", got \"%.60s\"",
                        begin);
        if ((status = get_string(r, item, path.text, "end", &end)) != COSMA_OK)
            return status;
        if (strcmp(end, "drop") == 0)
            iv->end = COSMA_END_DROP;
        else if (strcmp(end, "spill") == 0)
            iv->end = COSMA_END_SPILL;
        else
            return fail(r, path_key(path.text, "end").text, "expected \"drop\" or \"spill\", got \"%.60s\"", end);
    }
    return COSMA_OK;
}

/* The totals must be the ones the intervals give: a runtime or a report
 * that trusted a hand-edited total would be wrong. */
static cosma_status_t read_totals(const reader_t *r, const cJSON *root, const cosma_graph_t *graph,
                                  cosma_plan_t *plan)
{
    const cJSON *totals = NULL;
    cosma_status_t status = get_object(r, root, "", "totals", "the traffic totals", &totals);
    if (status != COSMA_OK)
        return status;
    status = cosma_plan_traffic(graph, plan, &plan->traffic);
    if (status == COSMA_ERR_INPUT)
        return fail(r, "intervals", "the traffic totals of the intervals overflow 64 bits");
    if (status != COSMA_OK)
        return status;
    const cosma_traffic_t *tr = &plan->traffic;
    struct {
        const char *key;
        uint64_t expected;
    } fields[] = {
        {"spill_bytes", tr->spill_bytes},
        {"retrieve_bytes", tr->retrieve_bytes},
        {"non_compulsory_bytes", tr->spill_bytes + tr->retrieve_bytes},
        {"compulsory_load_bytes", tr->compulsory_load_bytes},
        {"compulsory_store_bytes", tr->compulsory_store_bytes},
        {"compulsory_bytes", tr->compulsory_load_bytes + tr->compulsory_store_bytes},
        {"peak_bytes", tr->peak_bytes},
    };
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        uint64_t value = 0;
        if ((status = get_u64(r, totals, "totals", fields[k].key, PLAN_MAX_INTEGER, &value)) != COSMA_OK)
            return status;
        if (value != fields[k].expected)
            return fail(r, path_key("totals", fields[k].key).text,
                        "the file says %" PRIu64 ", but the intervals give %" PRIu64, value, fields[k].expected);
    }
    return COSMA_OK;
}

/* One operand list of a run as the plan file spells it. */
static cJSON *expected_operands(const cosma_graph_t *graph, const cosma_operand_t *operands, int32_t count)
{
    cJSON *list = cJSON_CreateArray();
    for (int32_t k = 0; k < count && list != NULL; k++) {
        const cosma_operand_t *o = &operands[k];
        cJSON *item = cJSON_CreateObject();
        if (item == NULL || !cJSON_AddItemToArray(list, item) ||
            !cJSON_AddItemToObject(item, "tensor",
                                   o->tensor >= 0 ? cJSON_CreateString(graph->tensors[o->tensor].name)
                                                  : cJSON_CreateNull()) ||
            !cJSON_AddItemToObject(item, "offset",
                                   o->offset != COSMA_OFFSET_NONE ? cJSON_CreateNumber((double)o->offset)
                                                                  : cJSON_CreateNull())) {
            cJSON_Delete(list);
            return NULL;
        }
    }
    return list;
}

/* A schedule event as the plan file spells it (the writer's key order), so
 * that it can be compared with the file's and quoted in a message. */
static cJSON *expected_event(const cosma_graph_t *graph, const cosma_event_schedule_t *s, const cosma_event_t *e)
{
    cJSON *event = cJSON_CreateObject();
    int ok = event != NULL;
    if (ok && e->kind == COSMA_EVENT_KIND_RUN) {
        const cosma_operand_t *operands = s->operands + e->operands;
        ok = cJSON_AddStringToObject(event, "run", graph->ops[e->op].name) != NULL &&
             cJSON_AddItemToObject(event, "inputs", expected_operands(graph, operands, e->n_inputs)) &&
             cJSON_AddItemToObject(event, "outputs", expected_operands(graph, operands + e->n_inputs, e->n_outputs));
    } else if (ok) {
        ok = cJSON_AddStringToObject(event, cosma_event_kind_name(e->kind), graph->tensors[e->tensor].name) != NULL &&
             cJSON_AddNumberToObject(event, "offset", (double)e->offset) != NULL &&
             cJSON_AddNumberToObject(event, "bytes", (double)e->bytes) != NULL &&
             (e->kind != COSMA_EVENT_KIND_LOAD || !e->compulsory || cJSON_AddTrueToObject(event, "compulsory") != NULL);
    }
    if (!ok) {
        cJSON_Delete(event);
        return NULL;
    }
    return event;
}

/* Compares the events of one step of the file with the schedule's. */
static cosma_status_t check_step_events(const reader_t *r, const cJSON *events, const char *path,
                                        const cosma_graph_t *graph, const cosma_event_schedule_t *s, int32_t t)
{
    int32_t first = s->step_events[t - 1], n_want = s->step_events[t] - first;
    const cJSON *x = events->child;
    for (int32_t e = 0; x != NULL || e < n_want; x = x != NULL ? x->next : NULL, e++) {
        cJSON *want = e < n_want ? expected_event(graph, s, &s->events[first + e]) : NULL;
        if (e < n_want && want == NULL) {
            cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: out of memory while checking the steps", r->name);
            return COSMA_ERR_NOMEM;
        }
        int same = x != NULL && want != NULL && json_equal(x, want);
        cosma_status_t status = COSMA_OK;
        if (!same) {
            path_t at = path_index(path_key(path, "events").text, (int)e);
            if (want == NULL) {
                status = fail(r, at.text, "an event the schedule and intervals do not imply (step %d has %d events)",
                              (int)t, (int)n_want);
            } else {
                char *text = cJSON_PrintUnformatted(want);
                status = fail(r, at.text, "%s does not match the schedule and intervals, which imply %.300s",
                              x == NULL ? "a missing event" : "this event", text != NULL ? text : "?");
                cJSON_free(text);
            }
        }
        cJSON_Delete(want);
        if (status != COSMA_OK)
            return status;
    }
    return COSMA_OK;
}

/* Compares the file's steps with the event schedule of the plan read. */
static cosma_status_t check_steps(const reader_t *r, const cJSON *steps, const cosma_graph_t *graph,
                                  const cosma_plan_t *plan)
{
    if (cJSON_GetArraySize(steps) != plan->n_steps)
        return fail(r, "steps", "expected %" PRId32 " steps (one per schedule entry), got %d", plan->n_steps,
                    cJSON_GetArraySize(steps));
    cosma_event_schedule_t *schedule = NULL;
    cosma_status_t status = cosma_schedule_build(graph, plan, &schedule, NULL);
    if (status != COSMA_OK) {
        cosma_diag_report(r->diag, COSMA_SEV_ERROR, "%s: cannot rebuild the steps of the plan (%s)", r->name,
                          cosma_status_name(status));
        return status;
    }
    int t = 0;
    for (const cJSON *step = steps->child; step != NULL && status == COSMA_OK; step = step->next, t++) {
        path_t path = path_index("steps", t);
        uint64_t number = 0;
        const char *op = NULL;
        const cJSON *events = NULL;
        if ((status = check_object(r, step, path.text, "a step")) != COSMA_OK ||
            (status = get_u64(r, step, path.text, "step", PLAN_MAX_INTEGER, &number)) != COSMA_OK)
            break;
        if (number != (uint64_t)t + 1) {
            status = fail(r, path_key(path.text, "step").text, "expected %d, got %" PRIu64, t + 1, number);
            break;
        }
        if ((status = get_string(r, step, path.text, "operator", &op)) != COSMA_OK)
            break;
        const char *scheduled = graph->ops[plan->order[t]].name;
        if (strcmp(op, scheduled) != 0) {
            status = fail(r, path_key(path.text, "operator").text, "\"%.200s\" does not match schedule[%d] \"%.200s\"",
                          op, t, scheduled);
            break;
        }
        if ((status = get_array(r, step, path.text, "events", &events)) == COSMA_OK)
            status = check_step_events(r, events, path.text, graph, schedule, t + 1);
    }
    cosma_schedule_free(schedule);
    return status;
}

cosma_status_t cosma_codegen_parse_plan(const char *text, size_t length, const char *display_name,
                                        const cosma_graph_t *graph, cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    reader_t reader = {display_name != NULL ? display_name : "plan", diag};
    const reader_t *r = &reader;
    if (out_plan == NULL || graph == NULL || (text == NULL && length > 0)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan reader: no text, graph or result given");
        return COSMA_ERR_USAGE;
    }
    *out_plan = NULL;
    if (!graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan reader: graph '%s' is not finalized", graph->name);
        return COSMA_ERR_USAGE;
    }
    if (text == NULL)
        text = "";
    cosma_status_t syntax = check_syntax(r, text, length);
    if (syntax != COSMA_OK)
        return syntax;
    cJSON *root = cJSON_ParseWithLength(text, length);
    if (root == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: out of memory while reading the plan", r->name);
        return COSMA_ERR_NOMEM;
    }

    cosma_status_t status = check_object(r, root, "", "a cosma plan");
    const cJSON *schedule = NULL, *intervals = NULL, *steps = NULL;
    cosma_plan_t *plan = NULL;
    uint64_t *sizes = NULL;
    header_t header;
    memset(&header, 0, sizeof header);
    if (status != COSMA_OK || (status = read_header(r, root, graph, &header)) != COSMA_OK ||
        (status = get_array(r, root, "", "schedule", &schedule)) != COSMA_OK ||
        (status = get_array(r, root, "", "intervals", &intervals)) != COSMA_OK)
        goto done;
    int n_steps = cJSON_GetArraySize(schedule), n_intervals = cJSON_GetArraySize(intervals);
    if (n_steps == 0 && header.status != COSMA_PLAN_INFEASIBLE) {
        status = fail(r, "schedule", "is empty, but only an infeasible plan may have no schedule");
        goto done;
    }
    if (n_steps != 0 && n_steps != graph->n_ops) {
        status = fail(r, "schedule", "has %d operators, graph '%s' has %" PRId32 " (a plan schedules all of them)",
                      n_steps, graph->name, graph->n_ops);
        goto done;
    }
    plan = cosma_plan_create(n_steps, n_intervals);
    if (plan == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    plan->graph_name = cosma_arena_strdup(&plan->arena, header.graph_name);
    plan->method = cosma_arena_strdup(&plan->arena, header.method);
    if (plan->graph_name == NULL || plan->method == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    plan->graph_hash = header.graph_hash;
    plan->budget_bytes = header.budget_bytes;
    plan->lower_bound_bytes = header.lower_bound_bytes;
    plan->mode = header.mode;
    plan->status = header.status;
    plan->solve_seconds = 0.0; /* not part of the file: plans are reproducible */
    if ((status = read_schedule(r, schedule, graph, plan)) != COSMA_OK)
        goto done;
    sizes = malloc(((size_t)graph->n_tensors + 1) * sizeof(uint64_t));
    if (sizes == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    if ((status = cosma_graph_sizes(graph, &plan->mode, sizes, diag)) != COSMA_OK ||
        (status = read_intervals(r, intervals, graph, sizes, plan)) != COSMA_OK)
        goto done;
    if ((status = read_totals(r, root, graph, plan)) != COSMA_OK ||
        (status = get_array(r, root, "", "steps", &steps)) != COSMA_OK ||
        (status = check_steps(r, steps, graph, plan)) != COSMA_OK)
        goto done;
done:
    free(sizes);
    cJSON_Delete(root);
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "%s: out of memory while reading the plan", r->name);
    if (status != COSMA_OK) {
        cosma_plan_destroy(plan);
        return status;
    }
    *out_plan = plan;
    return COSMA_OK;
}

cosma_status_t cosma_codegen_read_plan(const char *path, const cosma_graph_t *graph, cosma_plan_t **out_plan,
                                       cosma_diag_t *diag)
{
    if (path == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "plan reader: no path given");
        return COSMA_ERR_USAGE;
    }
    char *text = NULL;
    size_t length = 0;
    cosma_status_t status = cosma_file_read(path, &text, &length, diag);
    if (status != COSMA_OK)
        return status;
    status = cosma_codegen_parse_plan(text, length, path, graph, out_plan, diag);
    free(text);
    return status;
}
