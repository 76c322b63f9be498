/* copy_bench.cu: micro-benchmarks behind the runtime's copy and
 * dependency costs (docs/results-gpu.md, "Investigation"): pinned copy
 * durations from CUPTI's activity records against size, host memory kind,
 * alignment, a large host block, concurrent copies and kernels; and the
 * cost a cross-stream dependency adds to a chain of kernels, in streams
 * and in graph mode.  Not part of the build: compile with
 *   nvcc -O2 -arch=sm_90 bench/copy_bench.cu -o copy_bench -lcupti
 * and run on the GPU machine as `copy_bench [base] [api] [wait] [alloc]`
 * (no argument: base, sections 1-8); it prints one line per measurement. */
#include <cuda_runtime.h>
#include <cupti.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <algorithm>
#include <vector>

#define CK(x)                                                                                                          \
    do {                                                                                                               \
        cudaError_t e_ = (x);                                                                                          \
        if (e_ != cudaSuccess) {                                                                                       \
            fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));                        \
            exit(3);                                                                                                   \
        }                                                                                                              \
    } while (0)

struct rec_t {
    int kind; /* 0 h2d 1 d2h 2 kernel */
    uint64_t bytes, start, end;
    uint32_t stream;
};
static std::vector<rec_t> recs;

static void CUPTIAPI requested(uint8_t **b, size_t *size, size_t *max)
{
    *b = (uint8_t *)aligned_alloc(8, 16 << 20);
    *size = 16 << 20;
    *max = 0;
}
static void CUPTIAPI completed(CUcontext c, uint32_t s, uint8_t *b, size_t size, size_t valid)
{
    CUpti_Activity *r = NULL;
    while (cuptiActivityGetNextRecord(b, valid, &r) == CUPTI_SUCCESS) {
        if (r->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
            CUpti_ActivityMemcpy6 *m = (CUpti_ActivityMemcpy6 *)r;
            recs.push_back({m->copyKind == CUPTI_ACTIVITY_MEMCPY_KIND_HTOD ? 0 : 1, m->bytes, m->start, m->end,
                            m->streamId});
        } else if (r->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) {
            CUpti_ActivityKernel10 *k = (CUpti_ActivityKernel10 *)r;
            recs.push_back({2, 0, k->start, k->end, k->streamId});
        }
    }
    free(b);
}
static void flush(void)
{
    CK(cudaDeviceSynchronize());
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
}
static void begin(void)
{
    flush();
    recs.clear();
}
static std::vector<rec_t> end_recs(int kind, uint64_t min_bytes)
{
    flush();
    std::vector<rec_t> out;
    for (auto &r : recs)
        if (r.kind == kind && r.bytes >= min_bytes)
            out.push_back(r);
    std::sort(out.begin(), out.end(), [](const rec_t &a, const rec_t &b) { return a.start < b.start; });
    return out;
}

static double asym[2] = {55.5e9, 55.5e9};

/* Median, min and max of bytes/duration against the asymptotic bandwidth. */
static void report(const char *what, int dir, const std::vector<rec_t> &v)
{
    if (v.empty()) {
        printf("%s: no records\n", what);
        return;
    }
    std::vector<double> ratio, us;
    for (auto &r : v) {
        double s = 1e-9 * (double)(r.end - r.start);
        ratio.push_back(r.bytes / s / asym[dir]);
        us.push_back(1e6 * s);
    }
    std::sort(ratio.begin(), ratio.end());
    std::sort(us.begin(), us.end());
    size_t n = ratio.size();
    printf("%-46s n %3zu  dur med %8.2f us  ratio min %.3f p10 %.3f med %.3f max %.3f\n", what, n, us[n / 2],
           ratio[0], ratio[n / 10], ratio[n / 2], ratio[n - 1]);
}

static void copy(void *dev, void *host, size_t bytes, int dir, cudaStream_t s)
{
    if (dir == 0)
        CK(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, s));
    else
        CK(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, s));
}

/* Lone copies: each one alone on the link (synchronised after). */
static void lone(const char *what, char *dev, char *host, size_t bytes, int dir, int reps, cudaStream_t s)
{
    begin();
    for (int r = 0; r < reps; r++) {
        copy(dev, host, bytes, dir, s);
        CK(cudaStreamSynchronize(s));
    }
    char name[128];
    snprintf(name, sizeof name, "%s %s %zuK", what, dir ? "d2h" : "h2d", bytes >> 10);
    report(name, dir, end_recs(dir, 0));
}

__global__ void spin(long long ns)
{
    long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    while (t - t0 < ns);
}
__global__ void stream_read(const uint4 *p, size_t n, unsigned *out)
{
    unsigned acc = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        acc ^= p[i].x ^ p[i].w;
    if (acc == 0x12345)
        *out = acc;
}

/* Chains of kernels on stream k; edges: 0 none, 1 each kernel records an
 * event that a copy stream waits on (a tiny copy after), 2 each kernel
 * waits on an event of a tiny copy issued long before, 3 both, 4 each
 * kernel waits on the copy just before it (copy -> kernel -> copy ...). */
static void issue_chain(int mode, int n, cudaStream_t k, cudaStream_t c, char *dev, char *host, cudaEvent_t *ev,
                        cudaEvent_t *ev2, size_t copy_bytes, long long ns, cudaEvent_t fork, cudaEvent_t join)
{
    CK(cudaEventRecord(fork, k));
    CK(cudaStreamWaitEvent(c, fork, 0));
    if (mode == 2 || mode == 3)
        for (int i = 0; i < n; i++) {
            copy(dev + 4096 * (i % 64), host + 4096 * (i % 64), 256, 0, c);
            CK(cudaEventRecord(ev2[i], c));
        }
    for (int i = 0; i < n; i++) {
        if (mode == 4) {
            copy(dev + (i % 2) * copy_bytes, host, copy_bytes, 0, c);
            CK(cudaEventRecord(ev2[i], c));
        }
        if (mode >= 2)
            CK(cudaStreamWaitEvent(k, ev2[i], 0));
        spin<<<1, 32, 0, k>>>(ns);
        if (mode == 1 || mode == 3 || mode == 4) {
            CK(cudaEventRecord(ev[i], k));
            CK(cudaStreamWaitEvent(c, ev[i], 0));
            if (mode != 4)
                copy(dev + (1 << 20), host, 256, 0, c);
        }
    }
    CK(cudaEventRecord(join, c));
    CK(cudaStreamWaitEvent(k, join, 0));
}

/* Seconds per chain (best of the timed issues or replays); the mean CUPTI
 * gap between its kernels in out_gap_us (graph mode). */
static double chain(int mode, int graph, int n, cudaStream_t k, cudaStream_t c, char *dev, char *host,
                    cudaEvent_t *ev, cudaEvent_t *ev2, size_t copy_bytes, long long ns, double *out_gap_us)
{
    cudaGraph_t g;
    cudaGraphExec_t x;
    cudaEvent_t fork, join;
    CK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
    CK(cudaEventCreateWithFlags(&join, cudaEventDisableTiming));
    if (graph)
        CK(cudaStreamBeginCapture(k, cudaStreamCaptureModeThreadLocal));
    issue_chain(mode, n, k, c, dev, host, ev, ev2, copy_bytes, ns, fork, join); /* streams: the warm-up */
    if (graph) {
        CK(cudaStreamEndCapture(k, &g));
        CK(cudaGraphInstantiate(&x, g, 0));
        CK(cudaGraphLaunch(x, k)); /* upload */
        CK(cudaStreamSynchronize(k));
    }
    CK(cudaDeviceSynchronize());
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (graph)
            CK(cudaGraphLaunch(x, k));
        else if (r > 0)
            issue_chain(mode, n, k, c, dev, host, ev, ev2, copy_bytes, ns, fork, join);
        CK(cudaDeviceSynchronize());
        clock_gettime(CLOCK_MONOTONIC, &b);
        double t = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
        if (graph || r > 0)
            best = std::min(best, t);
    }
    /* One profiled replay: the kernel-to-kernel gaps. */
    begin();
    if (graph)
        CK(cudaGraphLaunch(x, k));
    CK(cudaDeviceSynchronize());
    std::vector<rec_t> ks = end_recs(2, 0);
    double gap = 0;
    for (size_t i = 1; i < ks.size(); i++)
        gap += 1e-9 * (double)(ks[i].start - ks[i - 1].end);
    *out_gap_us = ks.size() > 1 ? 1e6 * gap / (ks.size() - 1) : -1;
    if (graph) {
        cudaGraphExecDestroy(x);
        cudaGraphDestroy(g);
    }
    cudaEventDestroy(fork);
    cudaEventDestroy(join);
    return best;
}


/* Groups of k consecutive records (in time order) as one copy: their bytes
 * over first start to last end, against the asymptotic bandwidth. */
static void report_grouped(const char *what, int dir, const std::vector<rec_t> &v, size_t k)
{
    std::vector<rec_t> g;
    for (size_t i = 0; i + k <= v.size(); i += k) {
        rec_t r = v[i];
        for (size_t j = 1; j < k; j++) {
            r.bytes += v[i + j].bytes;
            r.start = std::min(r.start, v[i + j].start);
            r.end = std::max(r.end, v[i + j].end);
        }
        g.push_back(r);
    }
    report(what, dir, g);
}

/* 9. (goal 2) 1 MiB and 2 MiB lone copies through every API that can issue
 * them: each variant 20 times, synchronised after each, CUPTI spans. */
typedef void (*issue_fn)(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *ctx);

static void via_async(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *)
{
    copy(dev, host, bytes, dir, s);
}
static void via_sync(char *dev, char *host, size_t bytes, int dir, cudaStream_t, void *)
{
    CK(dir == 0 ? cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice) : cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost));
}
static void via_2d_row(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *)
{
    CK(dir == 0 ? cudaMemcpy2DAsync(dev, bytes, host, bytes, bytes, 1, cudaMemcpyHostToDevice, s)
                : cudaMemcpy2DAsync(host, bytes, dev, bytes, bytes, 1, cudaMemcpyDeviceToHost, s));
}
static void via_2d_rows(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *)
{
    size_t w = 65536, h = bytes / w;
    CK(dir == 0 ? cudaMemcpy2DAsync(dev, w, host, w, w, h, cudaMemcpyHostToDevice, s)
                : cudaMemcpy2DAsync(host, w, dev, w, w, h, cudaMemcpyDeviceToHost, s));
}
struct batch_ctx {
    int pieces;
    unsigned flags;
    cudaMemcpySrcAccessOrder order;
};
static void via_batch(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *ctx)
{
    const batch_ctx *b = (const batch_ctx *)ctx;
    void *dsts[8];
    const void *srcs[8];
    size_t sizes[8], piece = bytes / b->pieces;
    for (int i = 0; i < b->pieces; i++) {
        dsts[i] = dir == 0 ? (void *)(dev + i * piece) : (void *)(host + i * piece);
        srcs[i] = dir == 0 ? (const void *)(host + i * piece) : (const void *)(dev + i * piece);
        sizes[i] = piece;
    }
    cudaMemcpyAttributes attr;
    memset(&attr, 0, sizeof attr);
    attr.srcAccessOrder = b->order;
    attr.flags = b->flags;
    size_t idx = 0;
    CK(cudaMemcpyBatchAsync(dsts, srcs, sizes, b->pieces, &attr, &idx, 1, s));
}
static void via_graph_node(char *dev, char *host, size_t bytes, int dir, cudaStream_t s, void *)
{
    static cudaGraphExec_t x[2][2] = {{NULL, NULL}, {NULL, NULL}};
    int big = bytes > (1u << 20);
    if (x[dir][big] == NULL) {
        cudaGraph_t g;
        cudaGraphNode_t node;
        CK(cudaGraphCreate(&g, 0));
        CK(dir == 0 ? cudaGraphAddMemcpyNode1D(&node, g, NULL, 0, dev, host, bytes, cudaMemcpyHostToDevice)
                    : cudaGraphAddMemcpyNode1D(&node, g, NULL, 0, host, dev, bytes, cudaMemcpyDeviceToHost));
        CK(cudaGraphInstantiate(&x[dir][big], g, 0));
        CK(cudaGraphUpload(x[dir][big], s));
    }
    CK(cudaGraphLaunch(x[dir][big], s));
}

static void lone_via(const char *what, issue_fn fn, void *ctx, char *dev, char *host, size_t bytes, int dir,
                     cudaStream_t s, size_t records_per_copy)
{
    fn(dev, host, bytes, dir, s, ctx); /* first use: set-up outside the measurement */
    CK(cudaDeviceSynchronize());
    begin();
    for (int r = 0; r < 20; r++) {
        fn(dev, host, bytes, dir, s, ctx);
        CK(cudaDeviceSynchronize());
    }
    char name[128];
    snprintf(name, sizeof name, "api %s %s %zuK", what, dir ? "d2h" : "h2d", bytes >> 10);
    std::vector<rec_t> v = end_recs(dir, 0);
    if (v.size() != 20 * records_per_copy)
        printf("%s: %zu records for 20 copies\n", name, v.size());
    if (records_per_copy > 1 && v.size() % records_per_copy == 0)
        report_grouped(name, dir, v, v.size() / 20);
    else
        report(name, dir, v);
}

static void section_api(char *dev, char *host, cudaStream_t a)
{
    cudaStream_t hi, lo;
    int least = 0, greatest = 0;
    CK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    CK(cudaStreamCreateWithPriority(&hi, cudaStreamNonBlocking, greatest));
    CK(cudaStreamCreateWithPriority(&lo, cudaStreamNonBlocking, least));
    batch_ctx one = {1, 0, cudaMemcpySrcAccessOrderStream}, overlap = {1, cudaMemcpyFlagPreferOverlapWithCompute,
                                                                        cudaMemcpySrcAccessOrderStream},
              any = {1, 0, cudaMemcpySrcAccessOrderAny}, two = {2, 0, cudaMemcpySrcAccessOrderStream},
              four = {4, 0, cudaMemcpySrcAccessOrderStream}, eight = {8, 0, cudaMemcpySrcAccessOrderStream};
    for (size_t bytes : {(size_t)1 << 20, (size_t)2 << 20})
        for (int d = 0; d < 2; d++) {
            lone_via("cudaMemcpyAsync", via_async, NULL, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpyAsync high-priority stream", via_async, NULL, dev, host, bytes, d, hi, 1);
            lone_via("cudaMemcpyAsync low-priority stream", via_async, NULL, dev, host, bytes, d, lo, 1);
            lone_via("cudaMemcpyAsync legacy stream", via_async, NULL, dev, host, bytes, d, cudaStreamLegacy, 1);
            lone_via("cudaMemcpy", via_sync, NULL, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpy2DAsync 1 row", via_2d_row, NULL, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpy2DAsync 64K rows", via_2d_rows, NULL, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpyBatchAsync 1", via_batch, &one, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpyBatchAsync 1 overlap-with-compute", via_batch, &overlap, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpyBatchAsync 1 order any", via_batch, &any, dev, host, bytes, d, a, 1);
            lone_via("cudaMemcpyBatchAsync 2 pieces", via_batch, &two, dev, host, bytes, d, a, 2);
            lone_via("cudaMemcpyBatchAsync 4 pieces", via_batch, &four, dev, host, bytes, d, a, 4);
            lone_via("cudaMemcpyBatchAsync 8 pieces", via_batch, &eight, dev, host, bytes, d, a, 8);
            lone_via("graph memcpy node", via_graph_node, NULL, dev, host, bytes, d, a, 1);
        }
    /* The same 1 MiB upload split over two and four streams at once. */
    cudaStream_t ss[4];
    for (int i = 0; i < 4; i++)
        CK(cudaStreamCreateWithFlags(&ss[i], cudaStreamNonBlocking));
    for (int k : {2, 4}) {
        begin();
        for (int r = 0; r < 20; r++) {
            size_t piece = (1u << 20) / k;
            for (int i = 0; i < k; i++)
                copy(dev + i * piece, host + i * piece, piece, 0, ss[i]);
            CK(cudaDeviceSynchronize());
        }
        char name[64];
        snprintf(name, sizeof name, "api 1M split over %d streams h2d 1024K", k);
        report_grouped(name, 0, end_recs(0, 0), k);
    }
    /* Event-timed lone copies: what the stream sees, not the copy engine. */
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int d = 0; d < 2; d++) {
        std::vector<float> ms;
        for (int r = 0; r < 20; r++) {
            float t;
            CK(cudaEventRecord(e0, a));
            copy(dev, host, 1 << 20, d, a);
            CK(cudaEventRecord(e1, a));
            CK(cudaEventSynchronize(e1));
            CK(cudaEventElapsedTime(&t, e0, e1));
            ms.push_back(t);
        }
        std::sort(ms.begin(), ms.end());
        printf("api event-timed lone %s 1024K: median %.2f us, min %.2f us (%.3f of asymptotic at the median)\n",
               d ? "d2h" : "h2d", 1e3 * ms[10], 1e3 * ms[0], (1 << 20) / (1e-3 * ms[10]) / asym[d]);
    }
}

__global__ void zero_copy_read(const uint4 *p, size_t n, unsigned *out)
{
    unsigned acc = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        acc ^= p[i].x ^ p[i].w;
    if (acc == 0x12345)
        *out = acc;
}

/* 10. (goal 1) Does another stream's pending wait slow the kernels?  A
 * chain of kernels that read mapped host memory (as activation-only plans
 * read parameters) or device memory, with: nothing else; a copy stream
 * waiting on the chain's last kernel (the store of streams mode); both a
 * waiting upload stream before the chain and a waiting download after. */
static void section_wait(char *dev, char *host, cudaStream_t k, cudaStream_t up, cudaStream_t down)
{
    unsigned *sink;
    CK(cudaMalloc(&sink, 4));
    char *mapped;
    CK(cudaHostGetDevicePointer((void **)&mapped, host + (256u << 20), 0));
    cudaEvent_t first, last;
    CK(cudaEventCreateWithFlags(&first, cudaEventDisableTiming));
    CK(cudaEventCreateWithFlags(&last, cudaEventDisableTiming));
    const int n = 100;
    const size_t bytes = 1u << 20; /* per kernel: 100 MiB in all, ResNet-50's parameters */
    static const char *const names[] = {"alone", "download waits on the last kernel",
                                        "upload -> kernels -> download (streams mode)", "all on one stream (serial)"};
    for (int rep = 0; rep < 2; rep++)
        for (int src = 0; src < 2; src++)
            for (int mode = 0; mode < 4; mode++) {
                std::vector<double> walls;
                double ksum = 0;
                for (int r = 0; r < 6; r++) {
                    if (r == 5)
                        begin();
                    struct timespec t0, t1;
                    clock_gettime(CLOCK_MONOTONIC, &t0);
                    cudaStream_t ks = k;
                    if (mode == 2) {
                        copy(dev, host, 602112, 0, up);
                        CK(cudaEventRecord(first, up));
                        CK(cudaStreamWaitEvent(k, first, 0));
                    } else if (mode == 3) {
                        copy(dev, host, 602112, 0, k);
                    }
                    for (int i = 0; i < n; i++) {
                        const uint4 *p = (const uint4 *)(src == 0 ? mapped + i * bytes : dev + (64u << 20) + i * bytes);
                        zero_copy_read<<<66, 256, 0, ks>>>(p, bytes / 16, sink);
                    }
                    if (mode == 1 || mode == 2) {
                        CK(cudaEventRecord(last, k));
                        CK(cudaStreamWaitEvent(down, last, 0));
                        copy(dev, host, 4000, 1, down);
                    } else if (mode == 3) {
                        copy(dev, host, 4000, 1, k);
                    }
                    CK(cudaDeviceSynchronize());
                    clock_gettime(CLOCK_MONOTONIC, &t1);
                    if (r > 0 && r < 5)
                        walls.push_back((t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
                }
                std::vector<rec_t> ks = end_recs(2, 0);
                for (auto &x : ks)
                    ksum += 1e-9 * (double)(x.end - x.start);
                std::sort(walls.begin(), walls.end());
                printf("wait %s reads, %-46s wall median %.1f us, min %.1f us; profiled kernels %.1f us (%zu)\n",
                       src == 0 ? "host" : "hbm ", names[mode], 1e6 * walls[walls.size() / 2], 1e6 * walls[0],
                       1e6 * ksum, ks.size());
            }
}

/* 11. (goal 1) Host blocks from one process to the next: six blocks of
 * 256 MiB from cudaHostAlloc, three from malloc + cudaHostRegister and
 * three of huge pages + cudaHostRegister; per block, a kernel reading
 * 128 MiB of it through its mapped pointer, and lone 1 MiB uploads. */
static void section_alloc(char *dev, cudaStream_t a, cudaStream_t k)
{
    unsigned *sink;
    CK(cudaMalloc(&sink, 4));
    const size_t hb = 256u << 20;
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int kind = 0; kind < 3; kind++)
        for (int b = 0; b < (kind == 0 ? 6 : 3); b++) {
            char *h = NULL;
            if (kind == 0) {
                CK(cudaHostAlloc(&h, hb, cudaHostAllocPortable | cudaHostAllocMapped));
            } else {
                char *raw = (char *)mmap(NULL, hb + (2u << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                h = (char *)(((uintptr_t)raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
                madvise(h, hb, kind == 2 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
            }
            memset(h, 9, hb);
            if (kind > 0)
                CK(cudaHostRegister(h, hb, cudaHostRegisterPortable | cudaHostRegisterMapped));
            char *mp;
            CK(cudaHostGetDevicePointer((void **)&mp, h, 0));
            std::vector<float> ms;
            for (int r = 0; r < 5; r++) {
                float t;
                CK(cudaEventRecord(e0, k));
                zero_copy_read<<<264, 256, 0, k>>>((const uint4 *)mp, (128u << 20) / 16, sink);
                CK(cudaEventRecord(e1, k));
                CK(cudaEventSynchronize(e1));
                CK(cudaEventElapsedTime(&t, e0, e1));
                ms.push_back(t);
            }
            std::sort(ms.begin(), ms.end());
            begin();
            for (int r = 0; r < 32; r++) {
                size_t off = ((size_t)r * 2654435761u % 250) * (1u << 20);
                copy(dev + (r % 16) * (1 << 20), h + off, 1 << 20, 0, a);
                CK(cudaStreamSynchronize(a));
            }
            char name[96];
            snprintf(name, sizeof name, "alloc %s block %d: zero-copy %.2f GB/s (median), h2d 1M",
                     kind == 0 ? "hostalloc" : kind == 1 ? "malloc+register" : "thp+register", b,
                     (128u << 20) / (1e-3 * ms[2]) / 1e9);
            report(name, 0, end_recs(0, 0));
        }
}

static int wanted(int argc, char **argv, const char *section)
{
    if (argc < 2)
        return strcmp(section, "base") == 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], section) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    cuptiActivityRegisterCallbacks(requested, completed);
    cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY);
    cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    const size_t big = 64u << 20, block = 1u << 30;
    char *dev, *host, *host2, *wc, *plain, *reg, *thp;
    CK(cudaMalloc(&dev, 2 * block));
    CK(cudaHostAlloc(&host, block, cudaHostAllocPortable | cudaHostAllocMapped)); /* as the runtime */
    CK(cudaHostAlloc(&host2, big, cudaHostAllocDefault));
    CK(cudaHostAlloc(&wc, big, cudaHostAllocWriteCombined));
    memset(host, 1, block);
    memset(host2, 2, big);
    memset(wc, 3, big);
    plain = (char *)aligned_alloc(4096, big);
    memset(plain, 4, big);
    CK(cudaHostRegister(plain, big, cudaHostRegisterDefault));
    reg = plain;
    thp = (char *)mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(thp, big, MADV_HUGEPAGE);
    memset(thp, 5, big);
    CK(cudaHostRegister(thp, big, cudaHostRegisterDefault));
    cudaStream_t a, b, k;
    CK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    CK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
    CK(cudaStreamCreateWithFlags(&k, cudaStreamNonBlocking));
    for (int w = 0; w < 3; w++) { /* wake the link */
        copy(dev, host, big, 0, a);
        copy(dev, host, big, 1, a);
    }
    flush();

    /* 1. asymptotic bandwidth from 64 MiB copies, then lone copies by size. */
    for (int d = 0; d < 2; d++) {
        begin();
        for (int r = 0; r < 10; r++)
            copy(dev, host, big, d, a);
        std::vector<rec_t> v = end_recs(d, 0);
        double bytes = 0, sec = 0;
        for (auto &r : v) {
            bytes += r.bytes;
            sec += 1e-9 * (r.end - r.start);
        }
        asym[d] = bytes / sec;
        cudaEvent_t e0, e1;
        cudaEventCreate(&e0);
        cudaEventCreate(&e1);
        float ms_small = 0, ms_big = 0;
        cudaEventRecord(e0, a);
        for (int r = 0; r < 20; r++)
            copy(dev, host, 4096, d, a);
        cudaEventRecord(e1, a);
        cudaEventSynchronize(e1);
        cudaEventElapsedTime(&ms_small, e0, e1);
        cudaEventRecord(e0, a);
        for (int r = 0; r < 20; r++)
            copy(dev, host, big, d, a);
        cudaEventRecord(e1, a);
        cudaEventSynchronize(e1);
        cudaEventElapsedTime(&ms_big, e0, e1);
        printf("%s: CUPTI 64M back to back %.2f GB/s; events: 4K back to back %.2f us/copy, 64M %.2f GB/s\n",
               d ? "d2h" : "h2d", asym[d] / 1e9, 1e3 * ms_small / 20, 20.0 * big / (1e-3 * ms_big) / 1e9);
    }
    if (wanted(argc, argv, "api"))
        section_api(dev, host, a);
    if (wanted(argc, argv, "wait"))
        section_wait(dev, host, k, a, b);
    if (wanted(argc, argv, "alloc"))
        section_alloc(dev, a, k);
    if (!wanted(argc, argv, "base"))
        return 0;
    static const size_t sizes[] = {4096, 65536, 262144, 524288, 1u << 20, 3u << 19, 2u << 20, 4u << 20,
                                   8u << 20, 16u << 20, 64u << 20};
    for (int d = 0; d < 2; d++)
        for (size_t s : sizes)
            lone("lone", dev, host, s, d, 20, a);
    /* back-to-back 1 MiB on one stream (no sync) */
    for (int d = 0; d < 2; d++) {
        begin();
        for (int r = 0; r < 40; r++)
            copy(dev + (r % 8) * (1 << 20), host + (r % 8) * (1 << 20), 1 << 20, d, a);
        report(d ? "back-to-back d2h 1M" : "back-to-back h2d 1M", d, end_recs(d, 0));
    }

    /* 2. host memory kinds and alignments, 1 MiB and 4 MiB h2d and d2h. */
    struct {
        const char *name;
        char *p;
    } kinds[] = {{"hostalloc portable|mapped", host}, {"hostalloc default", host2}, {"hostalloc writecombined", wc},
                 {"malloc+register", reg}, {"thp mmap+register", thp}};
    for (auto &kd : kinds)
        for (int d = 0; d < 2; d++) {
            lone(kd.name, dev, kd.p, 1 << 20, d, 20, a);
            lone(kd.name, dev, kd.p, 4 << 20, d, 10, a);
        }
    static const size_t offs[][2] = {{0, 0}, {256, 0}, {64, 0}, {0, 64}, {0, 4096 + 64}, {4160, 4160}, {1 << 21, 1 << 21}};
    for (auto &o : offs)
        for (int d = 0; d < 2; d++) {
            char name[96];
            snprintf(name, sizeof name, "dev+%zu host+%zu", o[0], o[1]);
            lone(name, dev + o[0], host + o[1], 1 << 20, d, 20, a);
        }

    /* 3. a large host block: 1 MiB copies from offsets spread over 1 GiB. */
    for (int d = 0; d < 2; d++) {
        begin();
        for (int r = 0; r < 64; r++) {
            size_t off = ((size_t)r * 2654435761u % 1000) * (1u << 20);
            copy(dev + (r % 16) * (1 << 20), host + off, 1 << 20, d, a);
            CK(cudaStreamSynchronize(a));
        }
        report(d ? "1GiB block spread d2h 1M" : "1GiB block spread h2d 1M", d, end_recs(d, 0));
        begin();
        for (int r = 0; r < 64; r++) {
            size_t off = ((size_t)r * 2654435761u % 1000) * (1u << 20);
            copy(dev + off, host + (r % 16) * (1 << 20), 1 << 20, d, a);
            CK(cudaStreamSynchronize(a));
        }
        report(d ? "1GiB device spread d2h 1M" : "1GiB device spread h2d 1M", d, end_recs(d, 0));
    }

    /* 4. duplex: 1 MiB and 4 MiB copies while the other direction streams. */
    for (size_t s : {(size_t)1 << 20, (size_t)4 << 20})
        for (int d = 0; d < 2; d++) {
            begin();
            for (int r = 0; r < 6; r++)
                copy(dev + block, host + block / 2, big, 1 - d, b);
            for (int r = 0; r < 60; r++)
                copy(dev, host, s, d, a);
            char name[64];
            snprintf(name, sizeof name, "duplex %s %zuK", d ? "d2h" : "h2d", s >> 10);
            std::vector<rec_t> v = end_recs(d, 0), w;
            for (auto &r : v)
                if (r.bytes == s)
                    w.push_back(r);
            report(name, d, w);
        }

    /* 5. copies while kernels use the GPU: an HBM-bound read, and a read of
     * mapped host memory (zero-copy over the same link). */
    unsigned *sink;
    CK(cudaMalloc(&sink, 4));
    char *mapped;
    CK(cudaHostGetDevicePointer((void **)&mapped, host + block / 2, 0));
    for (int z = 0; z < 2; z++)
        for (int d = 0; d < 2; d++) {
            begin();
            for (int r = 0; r < 4; r++)
                if (z == 0)
                    stream_read<<<1024, 256, 0, k>>>((const uint4 *)(dev + block), block / 16, sink);
                else
                    stream_read<<<264, 256, 0, k>>>((const uint4 *)mapped, (64u << 20) / 16, sink);
            for (int r = 0; r < 40; r++)
                copy(dev, host, 1 << 20, d, a);
            char name[64];
            snprintf(name, sizeof name, "%s kernel running %s 1M", z ? "zero-copy" : "hbm", d ? "d2h" : "h2d");
            std::vector<rec_t> ks = end_recs(2, 0);
            uint64_t k0 = ks.empty() ? 0 : ks.front().start, k1 = ks.empty() ? 0 : ks.back().end;
            std::vector<rec_t> v = end_recs(d, 0), w;
            for (auto &r : v)
                if (r.start >= k0 && r.end <= k1)
                    w.push_back(r);
            report(name, d, w);
        }

    /* 6. two h2d copies at once on two streams. */
    begin();
    for (int r = 0; r < 40; r++) {
        copy(dev, host, 1 << 20, 0, a);
        copy(dev + (8 << 20), host + (8 << 20), 1 << 20, 0, b);
    }
    report("two streams h2d 1M each", 0, end_recs(0, 0));
    /* 7. graph-captured lone copies */
    {
        cudaGraph_t g;
        cudaGraphExec_t x;
        CK(cudaStreamBeginCapture(a, cudaStreamCaptureModeThreadLocal));
        for (int r = 0; r < 20; r++)
            copy(dev + (r % 8) * (1 << 20), host + (r % 8) * (1 << 20), 1 << 20, 0, a);
        CK(cudaStreamEndCapture(a, &g));
        CK(cudaGraphInstantiate(&x, g, 0));
        CK(cudaGraphLaunch(x, a));
        flush();
        begin();
        CK(cudaGraphLaunch(x, a));
        report("graph back-to-back h2d 1M", 0, end_recs(0, 0));
    }

    /* 8b. host blocks of 512 MiB: pinned by cudaHostAlloc, or transparent
     * huge pages registered with cudaHostRegister: a kernel reading all of
     * it through its mapped pointer (as kernels read streamed parameters),
     * and 1 MiB copies spread over it. */
    {
        const size_t hb = 512u << 20;
        char *ha;
        CK(cudaHostAlloc(&ha, hb, cudaHostAllocPortable | cudaHostAllocMapped));
        memset(ha, 7, hb);
        char *raw = (char *)mmap(NULL, hb + (2u << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *hh = (char *)(((uintptr_t)raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
        madvise(hh, hb, MADV_HUGEPAGE);
        memset(hh, 7, hb);
        CK(cudaHostRegister(hh, hb, cudaHostRegisterPortable | cudaHostRegisterMapped));
        const char *names[2] = {"hostalloc 512M", "thp+register 512M"};
        char *blocks[2] = {ha, hh};
        for (int v = 0; v < 2; v++) {
            char *mp;
            CK(cudaHostGetDevicePointer((void **)&mp, blocks[v], 0));
            cudaEvent_t e0, e1;
            cudaEventCreate(&e0);
            cudaEventCreate(&e1);
            float best = 1e30f;
            for (int r = 0; r < 3; r++) {
                float ms;
                cudaEventRecord(e0, k);
                stream_read<<<264, 256, 0, k>>>((const uint4 *)mp, hb / 16, sink);
                cudaEventRecord(e1, k);
                cudaEventSynchronize(e1);
                cudaEventElapsedTime(&ms, e0, e1);
                best = std::min(best, ms);
            }
            printf("%-46s zero-copy kernel read %.2f GB/s\n", names[v], hb / (1e-3 * best) / 1e9);
            for (int d = 0; d < 2; d++) {
                begin();
                for (int r = 0; r < 64; r++) {
                    size_t off = ((size_t)r * 2654435761u % 500) * (1u << 20);
                    copy(dev + (r % 16) * (1 << 20), blocks[v] + off, 1 << 20, d, a);
                    CK(cudaStreamSynchronize(a));
                }
                char name[96];
                snprintf(name, sizeof name, "%s spread %s 1M", names[v], d ? "d2h" : "h2d");
                report(name, d, end_recs(d, 0));
            }
        }
    }

    /* 8. a kernel chain with cross-stream edges. */
    const int n = 200;
    cudaEvent_t *ev = (cudaEvent_t *)calloc(n, sizeof(cudaEvent_t)), *ev2 = (cudaEvent_t *)calloc(n, sizeof(cudaEvent_t));
    for (int i = 0; i < n; i++) {
        CK(cudaEventCreateWithFlags(&ev[i], cudaEventDisableTiming));
        CK(cudaEventCreateWithFlags(&ev2[i], cudaEventDisableTiming));
    }
    static const char *const mode_names[] = {"no edges", "kernel -> copy (out)", "copy done -> kernel (in)",
                                             "in and out", "copy 64K -> kernel -> next copy"};
    for (int graph = 0; graph < 2; graph++)
        for (int mode = 0; mode < 5; mode++)
            for (long long ns : {2000LL, 20000LL}) {
                double gap = 0;
                double t = chain(mode, graph, n, k, a, dev, host, ev, ev2, 65536, ns, &gap);
                printf("chain %-7s %-32s kernel %5.1f us: %.2f us per kernel beyond it; CUPTI gap %.2f us\n",
                       graph ? "graph" : "streams", mode_names[mode], ns / 1e3, 1e6 * t / n - ns / 1e3, gap);
            }
    return 0;
}
