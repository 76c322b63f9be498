/* glpk_backend.c: cosma_milp_t on GLPK.  Columns and rows are collected in
 * plain arrays and loaded into a glp_prob at solve time, so a model can be
 * solved or exported any number of times.  GLPK's error hook longjmps back
 * here instead of letting the library abort, and its terminal hook keeps
 * it from printing. */
#include <glpk.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>

/* Models up to this many columns get GLPK's Gomory and MIR cuts. */
enum { SMALL_MODEL_COLUMNS = 5000 };

typedef struct {
    double lower, upper, objective;
    int integer;
    char name[48];
} col_t;

typedef struct {
    double lower, upper;
    int32_t start, count; /* into the coefficient arrays */
    char name[48];
} row_t;

struct cosma_milp {
    char name[64];
    col_t *cols;
    int32_t n_cols;
    size_t cap_cols;
    row_t *rows;
    int32_t n_rows;
    size_t cap_rows;
    int32_t *coef_col;
    double *coef_val;
    int64_t n_coefs;
    size_t cap_col_coefs, cap_val_coefs;
    double constant;
    double *start;
};

cosma_milp_t *cosma_milp_create(const char *name)
{
    cosma_milp_t *milp = calloc(1, sizeof *milp);
    if (milp != NULL)
        snprintf(milp->name, sizeof milp->name, "%s", name != NULL ? name : "cosma");
    return milp;
}

void cosma_milp_destroy(cosma_milp_t *milp)
{
    if (milp == NULL)
        return;
    free(milp->cols);
    free(milp->rows);
    free(milp->coef_col);
    free(milp->coef_val);
    free(milp->start);
    free(milp);
}

int32_t cosma_milp_n_cols(const cosma_milp_t *milp)
{
    return milp->n_cols;
}

int32_t cosma_milp_n_rows(const cosma_milp_t *milp)
{
    return milp->n_rows;
}

int32_t cosma_milp_add_col(cosma_milp_t *milp, const char *name, double lower, double upper, double objective,
                           int integer)
{
    if (milp->start != NULL ||
        cosma_array_reserve((void **)&milp->cols, &milp->cap_cols, (size_t)milp->n_cols + 1, sizeof(col_t)) != 0)
        return -1;
    col_t *col = &milp->cols[milp->n_cols];
    col->lower = lower;
    col->upper = upper;
    col->objective = objective;
    col->integer = integer;
    snprintf(col->name, sizeof col->name, "%s", name != NULL ? name : "");
    return milp->n_cols++;
}

int32_t cosma_milp_add_row(cosma_milp_t *milp, const char *name, double lower, double upper, int32_t n,
                           const int32_t *cols, const double *values)
{
    size_t coefs = (size_t)milp->n_coefs + (size_t)n;
    if (cosma_array_reserve((void **)&milp->rows, &milp->cap_rows, (size_t)milp->n_rows + 1, sizeof(row_t)) != 0 ||
        cosma_array_reserve((void **)&milp->coef_col, &milp->cap_col_coefs, coefs, sizeof(int32_t)) != 0 ||
        cosma_array_reserve((void **)&milp->coef_val, &milp->cap_val_coefs, coefs, sizeof(double)) != 0)
        return -1;
    for (int32_t k = 0; k < n; k++) {
        if (cols[k] < 0 || cols[k] >= milp->n_cols)
            return -1;
        milp->coef_col[milp->n_coefs + k] = cols[k];
        milp->coef_val[milp->n_coefs + k] = values[k];
    }
    row_t *row = &milp->rows[milp->n_rows];
    row->lower = lower;
    row->upper = upper;
    row->start = (int32_t)milp->n_coefs;
    row->count = n;
    snprintf(row->name, sizeof row->name, "%s", name != NULL ? name : "");
    milp->n_coefs += n;
    return milp->n_rows++;
}

void cosma_milp_set_objective_constant(cosma_milp_t *milp, double constant)
{
    milp->constant = constant;
}

/* Whether values satisfy every bound and row (GLPK's heuristic-solution
 * hook checks integrality only, and a false incumbent would prune the
 * search and make a wrong optimum look proven). */
static int start_is_feasible(const cosma_milp_t *milp, const double *values)
{
    for (int32_t j = 0; j < milp->n_cols; j++) {
        const col_t *col = &milp->cols[j];
        double tolerance = 1e-9 * fmax(1.0, fabs(values[j]));
        if (values[j] < col->lower - tolerance || values[j] > col->upper + tolerance)
            return 0;
        if (col->integer && fabs(values[j] - floor(values[j] + 0.5)) > 1e-9)
            return 0;
    }
    for (int32_t i = 0; i < milp->n_rows; i++) {
        const row_t *row = &milp->rows[i];
        double sum = 0, scale = 1.0;
        for (int32_t k = 0; k < row->count; k++) {
            double term = milp->coef_val[row->start + k] * values[milp->coef_col[row->start + k]];
            sum += term;
            scale = fmax(scale, fabs(term));
        }
        double tolerance = 1e-9 * scale;
        if (sum < row->lower - tolerance || sum > row->upper + tolerance)
            return 0;
    }
    return 1;
}

cosma_status_t cosma_milp_set_start(cosma_milp_t *milp, const double *values)
{
    free(milp->start);
    milp->start = NULL;
    if (!start_is_feasible(milp, values))
        return COSMA_OK; /* not a solution: the solver starts without it */
    milp->start = malloc(((size_t)milp->n_cols + 1) * sizeof(double));
    if (milp->start == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(milp->start, values, (size_t)milp->n_cols * sizeof(double));
    return COSMA_OK;
}

/* ---- GLPK plumbing ---------------------------------------------------- */

/* State of one GLPK call.  Buffers live here so that the error path
 * (a longjmp out of GLPK) frees them too. */
typedef struct {
    jmp_buf escape;
    cosma_diag_t *diag;
    char last_line[256];
    int *row_index;      /* build_problem scratch */
    double *row_value;
    double *start;       /* 1-based start for glp_ios_heur_sol */
    cosma_outputs_t *outputs; /* cosma_milp_write's file, until committed */
    int own_env;              /* glp_init_env created the environment */
} hook_ctx_t;

static void hook_ctx_free(hook_ctx_t *ctx)
{
    free(ctx->row_index);
    free(ctx->row_value);
    free(ctx->start);
    cosma_outputs_destroy(ctx->outputs); /* removes an uncommitted temporary */
    free(ctx);
}

static int terminal_hook(void *info, const char *text)
{
    hook_ctx_t *ctx = info;
    /* Keep the latest text so a fatal error can be reported with it. */
    if (strlen(ctx->last_line) + strlen(text) >= sizeof ctx->last_line)
        ctx->last_line[0] = '\0';
    strncat(ctx->last_line, text, sizeof ctx->last_line - strlen(ctx->last_line) - 1);
    return 1; /* non-zero: GLPK prints nothing itself */
}

static void error_hook(void *info)
{
    hook_ctx_t *ctx = info;
    longjmp(ctx->escape, 1);
}

/* GLPK aborts the process when its environment cannot be created on first
 * use: create it here, where a failure is a status, and free it after the
 * call if cosma created it.  Every call runs on a thread of its own where
 * GLPK keeps its environment per thread (run_isolated), so the environment
 * is always cosma's and a host's hooks on its own thread are never touched;
 * otherwise (a GLPK built without thread-local storage) cosma's hooks are
 * set for one call and reset after it: GLPK 5 cannot read a host's hooks
 * to restore them (docs/reliability.md). */
static cosma_status_t glpk_begin(hook_ctx_t *ctx, cosma_diag_t *diag)
{
    int rc = glp_init_env();
    if (rc != 0 && rc != 1) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "GLPK could not create its environment (%s)",
                          rc == 2 ? "out of memory" : "unsupported programming model");
        return rc == 2 ? COSMA_ERR_NOMEM : COSMA_ERR_SOLVER;
    }
    ctx->own_env = rc == 0;
    glp_term_hook(terminal_hook, ctx);
    glp_error_hook(error_hook, ctx);
    return COSMA_OK;
}

static void glpk_end(const hook_ctx_t *ctx)
{
    glp_term_hook(NULL, NULL);
    glp_error_hook(NULL, NULL);
    if (ctx->own_env)
        glp_free_env();
}

static int col_kind(const col_t *col)
{
    if (!col->integer)
        return GLP_CV;
    if (col->lower == 0.0 && col->upper == 1.0)
        return GLP_BV;
    return GLP_IV;
}

static int bound_type(double lower, double upper)
{
    int has_lower = lower > -COSMA_MILP_INF / 2, has_upper = upper < COSMA_MILP_INF / 2;
    if (has_lower && has_upper)
        return lower == upper ? GLP_FX : GLP_DB;
    if (has_lower)
        return GLP_LO;
    if (has_upper)
        return GLP_UP;
    return GLP_FR;
}

static glp_prob *build_problem(const cosma_milp_t *milp, hook_ctx_t *ctx)
{
    glp_prob *lp = glp_create_prob();
    glp_set_prob_name(lp, milp->name);
    glp_set_obj_dir(lp, GLP_MIN);
    glp_set_obj_coef(lp, 0, milp->constant);
    if (milp->n_cols > 0)
        glp_add_cols(lp, milp->n_cols);
    for (int32_t j = 0; j < milp->n_cols; j++) {
        const col_t *col = &milp->cols[j];
        if (col->name[0] != '\0')
            glp_set_col_name(lp, j + 1, col->name);
        glp_set_col_bnds(lp, j + 1, bound_type(col->lower, col->upper), col->lower, col->upper);
        glp_set_obj_coef(lp, j + 1, col->objective);
        glp_set_col_kind(lp, j + 1, col_kind(col));
    }
    if (milp->n_rows > 0)
        glp_add_rows(lp, milp->n_rows);
    int32_t max_count = 0;
    for (int32_t i = 0; i < milp->n_rows; i++)
        if (milp->rows[i].count > max_count)
            max_count = milp->rows[i].count;
    int *index = ctx->row_index = malloc(((size_t)max_count + 1) * sizeof(int));
    double *value = ctx->row_value = malloc(((size_t)max_count + 1) * sizeof(double));
    if (index == NULL || value == NULL) {
        /* Never a model without its matrix: it would solve to nonsense. */
        glp_delete_prob(lp);
        free(index);
        free(value);
        ctx->row_index = NULL;
        ctx->row_value = NULL;
        return NULL;
    }
    for (int32_t i = 0; i < milp->n_rows; i++) {
        const row_t *row = &milp->rows[i];
        if (row->name[0] != '\0')
            glp_set_row_name(lp, i + 1, row->name);
        glp_set_row_bnds(lp, i + 1, bound_type(row->lower, row->upper), row->lower, row->upper);
        for (int32_t k = 0; k < row->count; k++) {
            index[k + 1] = milp->coef_col[row->start + k] + 1;
            value[k + 1] = milp->coef_val[row->start + k];
        }
        glp_set_mat_row(lp, i + 1, row->count, index, value);
    }
    free(index);
    free(value);
    ctx->row_index = NULL;
    ctx->row_value = NULL;
    return lp;
}

/* Rounds a bound up to the objective grid, allowing for float noise. */
static double round_bound(double bound, double step)
{
    if (step <= 0)
        return bound;
    double tolerance = 1e-6 * fmax(1.0, fabs(bound) / step);
    return ceil(bound / step - tolerance) * step;
}

typedef struct {
    const cosma_milp_t *milp;
    double best_bound;
    int have_bound;
    int start_offered;
    double deadline;      /* 0 = none */
    double *start_buffer; /* 1-based copy of the start, owned by the solve */
    int64_t node_limit;   /* 0 = none */
    int64_t nodes;        /* created so far */
    int64_t iterations;   /* simplex iterations so far */
    int stopped_by_clock;
    int stopped_by_nodes;
    double step;          /* the objective grid, for the target */
    double bound_target;  /* > 0: stop once best_bound reaches it */
    int stopped_by_target;
} search_ctx_t;

static void search_callback(glp_tree *tree, void *info)
{
    search_ctx_t *ctx = info;
    int active = 0, current = 0, total = 0;
    glp_ios_tree_size(tree, &active, &current, &total);
    ctx->nodes = total;
    ctx->iterations = glp_get_it_cnt(glp_ios_get_prob(tree));
    /* The node count is the same on every machine; the clock is a guard.
     * GLPK checks tm_lim only between its own phases; this stops the
     * search at the next callback once the deadline has passed. */
    if (ctx->node_limit > 0 && total > ctx->node_limit) {
        ctx->stopped_by_nodes = 1;
        glp_ios_terminate(tree);
        return;
    }
    if (ctx->deadline > 0 && cosma_clock_seconds() > ctx->deadline) {
        ctx->stopped_by_clock = 1;
        glp_ios_terminate(tree);
        return;
    }
    int node = glp_ios_best_node(tree);
    if (node != 0) {
        double bound = glp_ios_node_bound(tree, node);
        if (!ctx->have_bound || bound > ctx->best_bound) {
            ctx->best_bound = bound;
            ctx->have_bound = 1;
        }
        if (ctx->bound_target > 0 && round_bound(ctx->best_bound, ctx->step) >= ctx->bound_target) {
            ctx->stopped_by_target = 1;
            glp_ios_terminate(tree);
            return;
        }
    }
    if (glp_ios_reason(tree) == GLP_IHEUR && !ctx->start_offered && ctx->start_buffer != NULL) {
        ctx->start_offered = 1;
        glp_ios_heur_sol(tree, ctx->start_buffer);
    }
}

/* The objective of the caller's start, constant included. */
static double start_objective(const cosma_milp_t *milp)
{
    double objective = milp->constant;
    for (int32_t j = 0; j < milp->n_cols; j++)
        objective += milp->cols[j].objective * milp->start[j];
    return objective;
}

/* One GLPK call on a thread of its own, when GLPK keeps its environment
 * per thread (Debian's does); on the caller's thread otherwise, or when no
 * thread can be made. */
typedef struct {
    cosma_status_t (*run)(void *args);
    void *args;
    cosma_status_t status;
} isolated_call_t;

static void *isolated_main(void *arg)
{
    isolated_call_t *call = arg;
    call->status = call->run(call->args);
    return NULL;
}

static cosma_status_t run_isolated(cosma_status_t (*run)(void *args), void *args)
{
    isolated_call_t call = {run, args, COSMA_OK};
    pthread_t thread;
    if (glp_config("TLS") == NULL || pthread_create(&thread, NULL, isolated_main, &call) != 0)
        return run(args);
    pthread_join(thread, NULL);
    return call.status;
}

typedef struct {
    cosma_milp_t *milp;
    const cosma_milp_options_t *options;
    cosma_milp_result_t *out_result;
    cosma_diag_t *diag;
} solve_args_t;

static cosma_status_t solve_here(cosma_milp_t *milp, const cosma_milp_options_t *options,
                                 cosma_milp_result_t *out_result, cosma_diag_t *diag);

static cosma_status_t solve_call(void *args)
{
    solve_args_t *a = args;
    return solve_here(a->milp, a->options, a->out_result, a->diag);
}

cosma_status_t cosma_milp_solve(cosma_milp_t *milp, const cosma_milp_options_t *options,
                                cosma_milp_result_t *out_result, cosma_diag_t *diag)
{
    solve_args_t args = {milp, options, out_result, diag};
    return run_isolated(solve_call, &args);
}

static cosma_status_t solve_here(cosma_milp_t *milp, const cosma_milp_options_t *options,
                                 cosma_milp_result_t *out_result, cosma_diag_t *diag)
{
    memset(out_result, 0, sizeof *out_result);
    double started = cosma_clock_seconds();
    /* volatile: these survive the longjmp out of GLPK. */
    hook_ctx_t *volatile ctx = calloc(1, sizeof(hook_ctx_t));
    glp_prob *volatile lp = NULL;
    double *volatile values = NULL;
    if (ctx == NULL)
        return COSMA_ERR_NOMEM;
    ctx->diag = diag;
    cosma_status_t begun = glpk_begin(ctx, diag);
    if (begun != COSMA_OK) {
        hook_ctx_free(ctx);
        return begun;
    }
    if (setjmp(((hook_ctx_t *)ctx)->escape) != 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "GLPK failed: %s",
                          ctx->last_line[0] ? ctx->last_line : "(no message)");
        free(values);
        /* GLPK's state is undefined after an error: release everything. */
        glp_free_env();
        hook_ctx_free(ctx);
        return COSMA_ERR_SOLVER;
    }
    if (milp->start != NULL) {
        ctx->start = malloc(((size_t)milp->n_cols + 1) * sizeof(double));
        if (ctx->start != NULL)
            for (int32_t j = 0; j < milp->n_cols; j++)
                ctx->start[j + 1] = milp->start[j];
    }
    lp = build_problem(milp, ctx);
    if (lp == NULL || (milp->start != NULL && ctx->start == NULL)) {
        if (lp != NULL)
            glp_delete_prob(lp);
        glpk_end(ctx);
        hook_ctx_free(ctx);
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while building the GLPK model");
        return COSMA_ERR_NOMEM;
    }
    /* Equilibrate rows and columns: sizes make coefficients span orders of
     * magnitude, and unscaled models drive GLPK's simplex into numerical
     * failures. */
    glp_scale_prob(lp, GLP_SF_AUTO);
    double limit = options != NULL ? options->time_limit : 0;
    double step = options != NULL ? options->objective_step : 0;
    double target = options != NULL ? options->bound_target : 0;

    glp_smcp simplex;
    glp_init_smcp(&simplex);
    simplex.msg_lev = GLP_MSG_OFF;
    simplex.presolve = GLP_OFF;
    /* The dual simplex (the primal where it fails): on the cut bound's
     * programs, rows of "live or evicted" covers, it takes half the time of
     * the primal (the Transformer at M_Rp: 1.4 s against 3.1 s). */
    simplex.meth = GLP_DUALP;
    if (limit > 0)
        simplex.tm_lim = (int)fmin(limit * 1000.0, 2e9);
    int rc = milp->n_cols > 0 ? glp_simplex(lp, &simplex) : 0;
    cosma_milp_status_t status = COSMA_MILP_NO_SOLUTION;
    double objective = 0, bound = -COSMA_MILP_INF;
    if (milp->n_cols == 0) {
        status = COSMA_MILP_OPTIMAL;
        objective = bound = milp->constant;
    } else if (rc == 0 && glp_get_status(lp) == GLP_NOFEAS) {
        status = COSMA_MILP_INFEASIBLE;
    } else if (rc == 0 && glp_get_status(lp) == GLP_OPT && target > 0 &&
               round_bound(glp_get_obj_val(lp), step) >= target) {
        bound = glp_get_obj_val(lp); /* the relaxation proves enough: no search */
    } else if (rc == 0 && glp_get_status(lp) == GLP_OPT) {
        bound = glp_get_obj_val(lp);
        glp_iocp mip;
        glp_init_iocp(&mip);
        mip.msg_lev = GLP_MSG_OFF;
        mip.presolve = GLP_OFF; /* callbacks then see the original columns */
        /* Gomory and MIR cut rounds can run for minutes on large models
         * without looking at the clock: only on small ones. */
        int small = milp->n_cols <= SMALL_MODEL_COLUMNS && !(options != NULL && options->safe_cuts);
        mip.gmi_cuts = small ? GLP_ON : GLP_OFF;
        mip.mir_cuts = small ? GLP_ON : GLP_OFF;
        mip.cov_cuts = GLP_ON;
        mip.clq_cuts = GLP_ON;
        mip.fp_heur = target > 0 ? GLP_OFF : GLP_ON;
        mip.br_tech = GLP_BR_PCH;
        mip.bt_tech = GLP_BT_BLB;
        mip.mip_gap = 0.0;
        /* GLPK prunes nodes within tol_obj * (1 + |objective|) of the
         * incumbent; the default 1e-7 is a whole unit on objectives of
         * 1e7 units, which would let a pruned optimum pass as proven. */
        mip.tol_obj = 1e-12;
        double left = limit > 0 ? limit - (cosma_clock_seconds() - started) : 0;
        if (limit > 0)
            mip.tm_lim = (int)fmax(1.0, fmin(left * 1000.0, 2e9));
        search_ctx_t search = {.milp = milp,
                               .best_bound = bound,
                               .have_bound = 1,
                               .deadline = limit > 0 ? started + limit : 0,
                               .start_buffer = ctx->start,
                               .node_limit = options != NULL && options->node_limit > 0 ? options->node_limit : 0,
                               .step = step,
                               .bound_target = target};
        mip.cb_func = search_callback;
        mip.cb_info = &search;
        rc = glp_intopt(lp, &mip);
        int mip_status = glp_mip_status(lp);
        if (mip_status == GLP_OPT) {
            status = COSMA_MILP_OPTIMAL;
            objective = glp_mip_obj_val(lp);
            bound = objective;
        } else if (mip_status == GLP_FEAS) {
            status = COSMA_MILP_FEASIBLE;
            objective = glp_mip_obj_val(lp);
            bound = search.have_bound ? search.best_bound : bound;
            if (bound > objective)
                bound = objective;
        } else if (mip_status == GLP_NOFEAS) {
            status = COSMA_MILP_INFEASIBLE;
        } else {
            bound = search.have_bound ? search.best_bound : bound;
        }
        if (rc != 0 && rc != GLP_ETMLIM && rc != GLP_EMIPGAP && !search.stopped_by_target &&
            status == COSMA_MILP_NO_SOLUTION)
            cosma_diag_report(diag, COSMA_SEV_NOTE, "GLPK branch-and-bound stopped with code %d", rc);
        out_result->nodes = search.nodes;
        out_result->iterations = search.iterations;
        out_result->stopped_by_clock =
            status != COSMA_MILP_OPTIMAL && status != COSMA_MILP_INFEASIBLE && !search.stopped_by_nodes &&
            (search.stopped_by_clock || rc == GLP_ETMLIM);
    } else if (rc == GLP_ETMLIM) {
        status = COSMA_MILP_NO_SOLUTION;
        out_result->stopped_by_clock = 1;
    } else {
        glp_delete_prob(lp);
        glpk_end(ctx);
        hook_ctx_free(ctx);
        cosma_diag_report(diag, COSMA_SEV_ERROR, "GLPK could not solve the LP relaxation (code %d)", rc);
        return COSMA_ERR_SOLVER;
    }
    int from_start = status == COSMA_MILP_NO_SOLUTION && milp->start != NULL;
    if (from_start) {
        /* A limit came before GLPK's first heuristic call, where the start
         * is offered: the start is still a solution. */
        status = COSMA_MILP_FEASIBLE;
        objective = start_objective(milp);
        if (bound > objective)
            bound = objective;
    }
    if (status == COSMA_MILP_OPTIMAL || status == COSMA_MILP_FEASIBLE) {
        values = malloc(((size_t)milp->n_cols + 1) * sizeof(double));
        if (values != NULL)
            for (int32_t j = 0; j < milp->n_cols; j++)
                values[j] = from_start ? milp->start[j] : glp_mip_col_val(lp, j + 1);
    }
    glp_delete_prob(lp);
    glpk_end(ctx);
    hook_ctx_free(ctx);
    if ((status == COSMA_MILP_OPTIMAL || status == COSMA_MILP_FEASIBLE) && values == NULL)
        return COSMA_ERR_NOMEM;
    out_result->status = status;
    out_result->objective = objective;
    out_result->bound = bound > -COSMA_MILP_INF / 2 ? round_bound(bound, step) : bound;
    if (status == COSMA_MILP_OPTIMAL)
        out_result->bound = objective;
    out_result->values = values;
    out_result->seconds = cosma_clock_seconds() - started;
    return COSMA_OK;
}

typedef struct {
    cosma_milp_t *milp;
    const char *path;
    cosma_diag_t *diag;
} write_args_t;

static cosma_status_t write_here(cosma_milp_t *milp, const char *path, cosma_diag_t *diag);

static cosma_status_t write_call(void *args)
{
    write_args_t *a = args;
    return write_here(a->milp, a->path, a->diag);
}

cosma_status_t cosma_milp_write(cosma_milp_t *milp, const char *path, cosma_diag_t *diag)
{
    write_args_t args = {milp, path, diag};
    return run_isolated(write_call, &args);
}

static cosma_status_t write_here(cosma_milp_t *milp, const char *path, cosma_diag_t *diag)
{
    hook_ctx_t *volatile ctx = calloc(1, sizeof(hook_ctx_t));
    if (ctx == NULL)
        return COSMA_ERR_NOMEM;
    ctx->diag = diag;
    cosma_status_t status = glpk_begin(ctx, diag);
    if (status != COSMA_OK) {
        hook_ctx_free(ctx);
        return status;
    }
    if (setjmp(((hook_ctx_t *)ctx)->escape) != 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "GLPK failed writing '%s': %s", path, ctx->last_line);
        glp_free_env();
        hook_ctx_free(ctx); /* also removes the temporary file */
        return COSMA_ERR_SOLVER;
    }
    size_t n = strlen(path);
    int mps = n >= 4 && strcmp(path + n - 4, ".mps") == 0;
    /* GLPK writes by name: into a safe temporary (same extension) that
     * replaces the target only once complete. */
    const char *temp = NULL;
    glp_prob *lp = NULL;
    ctx->outputs = cosma_outputs_create();
    status = ctx->outputs == NULL ? COSMA_ERR_NOMEM : cosma_outputs_add(ctx->outputs, path, diag);
    if (status == COSMA_OK)
        status = cosma_outputs_temp(ctx->outputs, path, &temp, diag);
    if (status == COSMA_OK && (lp = build_problem(milp, ctx)) == NULL)
        status = COSMA_ERR_NOMEM;
    if (status == COSMA_OK &&
        (mps ? glp_write_mps(lp, GLP_MPS_FILE, NULL, temp) : glp_write_lp(lp, NULL, temp)) != 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write model to '%s'", path);
        status = COSMA_ERR_IO;
    }
    if (status == COSMA_OK)
        status = cosma_outputs_commit(ctx->outputs, diag);
    if (lp != NULL)
        glp_delete_prob(lp);
    glpk_end(ctx);
    hook_ctx_free(ctx);
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while writing model '%s'", path);
    return status;
}
