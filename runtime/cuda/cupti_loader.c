/* cupti_loader.c: the CUPTI functions the cuda backend calls, loaded with
 * dlopen on first use instead of linked.  Linking libcupti runs its
 * initialisers (and allocations) in every cosma command, also those that
 * never touch a GPU; loaded lazily, only a profiled cuda run pays for it,
 * and a machine without CUPTI gets a clear reason instead of a missing
 * library.  The handle is process-wide state, as the dynamic loader's is:
 * it is opened once and never closed. */
#ifdef COSMA_HAVE_CUPTI
#include <dlfcn.h>
#include <stddef.h>

#include <cupti.h>

#ifndef COSMA_CUPTI_LIBRARY
#define COSMA_CUPTI_LIBRARY "libcupti.so"
#endif

typedef struct {
    int tried;
    void *handle;
    CUptiResult (*activity_enable)(CUpti_ActivityKind);
    CUptiResult (*activity_disable)(CUpti_ActivityKind);
    CUptiResult (*activity_flush_all)(uint32_t);
    CUptiResult (*activity_get_next_record)(uint8_t *, size_t, CUpti_Activity **);
    CUptiResult (*activity_register_callbacks)(CUpti_BuffersCallbackRequestFunc, CUpti_BuffersCallbackCompleteFunc);
    CUptiResult (*get_result_string)(CUptiResult, const char **);
    CUptiResult (*get_timestamp)(uint64_t *);
} cupti_table_t;

static cupti_table_t cupti;

/* The library the build found first, then whatever the loader finds. */
static void *open_library(void)
{
    static const char *const names[] = {COSMA_CUPTI_LIBRARY, "libcupti.so.13", "libcupti.so"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        void *handle = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
        if (handle != NULL)
            return handle;
    }
    return NULL;
}

/* 1 when every function is there. */
static int cupti_load(void)
{
    if (cupti.tried)
        return cupti.handle != NULL;
    cupti.tried = 1;
    void *handle = open_library();
    if (handle == NULL)
        return 0;
    /* POSIX: dlsym returns data pointers; converting through *(void **)
     * is the documented way to fill function pointers. */
    *(void **)&cupti.activity_enable = dlsym(handle, "cuptiActivityEnable");
    *(void **)&cupti.activity_disable = dlsym(handle, "cuptiActivityDisable");
    *(void **)&cupti.activity_flush_all = dlsym(handle, "cuptiActivityFlushAll");
    *(void **)&cupti.activity_get_next_record = dlsym(handle, "cuptiActivityGetNextRecord");
    *(void **)&cupti.activity_register_callbacks = dlsym(handle, "cuptiActivityRegisterCallbacks");
    *(void **)&cupti.get_result_string = dlsym(handle, "cuptiGetResultString");
    *(void **)&cupti.get_timestamp = dlsym(handle, "cuptiGetTimestamp");
    if (cupti.activity_enable == NULL || cupti.activity_disable == NULL || cupti.activity_flush_all == NULL ||
        cupti.activity_get_next_record == NULL || cupti.activity_register_callbacks == NULL ||
        cupti.get_result_string == NULL || cupti.get_timestamp == NULL)
        return 0; /* an incomplete library counts as missing */
    cupti.handle = handle;
    return 1;
}

CUptiResult CUPTIAPI cuptiActivityEnable(CUpti_ActivityKind kind)
{
    return cupti_load() ? cupti.activity_enable(kind) : CUPTI_ERROR_NOT_INITIALIZED;
}

CUptiResult CUPTIAPI cuptiActivityDisable(CUpti_ActivityKind kind)
{
    return cupti_load() ? cupti.activity_disable(kind) : CUPTI_ERROR_NOT_INITIALIZED;
}

CUptiResult CUPTIAPI cuptiActivityFlushAll(uint32_t flag)
{
    return cupti_load() ? cupti.activity_flush_all(flag) : CUPTI_ERROR_NOT_INITIALIZED;
}

CUptiResult CUPTIAPI cuptiActivityGetNextRecord(uint8_t *buffer, size_t valid_bytes, CUpti_Activity **record)
{
    return cupti_load() ? cupti.activity_get_next_record(buffer, valid_bytes, record) : CUPTI_ERROR_NOT_INITIALIZED;
}

CUptiResult CUPTIAPI cuptiActivityRegisterCallbacks(CUpti_BuffersCallbackRequestFunc requested,
                                                    CUpti_BuffersCallbackCompleteFunc completed)
{
    return cupti_load() ? cupti.activity_register_callbacks(requested, completed) : CUPTI_ERROR_NOT_INITIALIZED;
}

CUptiResult CUPTIAPI cuptiGetResultString(CUptiResult result, const char **out_text)
{
    if (cupti_load())
        return cupti.get_result_string(result, out_text);
    *out_text = "CUPTI (" COSMA_CUPTI_LIBRARY ") could not be loaded";
    return CUPTI_SUCCESS;
}

CUptiResult CUPTIAPI cuptiGetTimestamp(uint64_t *timestamp)
{
    return cupti_load() ? cupti.get_timestamp(timestamp) : CUPTI_ERROR_NOT_INITIALIZED;
}
#endif /* COSMA_HAVE_CUPTI */
