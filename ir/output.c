/* output.c: safe output files.  A command's outputs are written to
 * temporary files next to their targets and renamed over them together at
 * the end, so a failure (or a signal, which the caller defers around the
 * commit) leaves the previous files as they were.  Only regular files or
 * new names are written; an output that is an input of the command, or
 * another output, is refused.  Temporary files are opened with O_EXCL and
 * O_NOFOLLOW under short random names, so a planted link cannot redirect
 * them and a 255-character target name still leaves room. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cosma/ir.h>

/* Random characters of a temporary name, and attempts before giving up. */
#define TEMP_RANDOM 10
#define TEMP_ATTEMPTS 64
/* A target's extension is kept (GLPK picks the model format by it) when
 * it is at most this long. */
#define TEMP_MAX_EXT 8

typedef struct {
    dev_t dev;
    ino_t ino;
} file_id_t;

typedef struct {
    char *path;
    char *temp;      /* NULL until created; removed unless committed */
    int is_stdout;
    int exists;      /* the target existed when declared */
    file_id_t id;    /* of the existing target */
    file_id_t dir;   /* of the folder holding it */
    const char *base;/* points into path */
} output_t;

struct cosma_outputs {
    output_t items[COSMA_OUTPUTS_MAX];
    int n;
    struct {
        file_id_t id;
        const char *path; /* the caller's string */
    } inputs[COSMA_OUTPUTS_MAX];
    int n_inputs;
};

cosma_outputs_t *cosma_outputs_create(void)
{
    return calloc(1, sizeof(cosma_outputs_t));
}

void cosma_outputs_destroy(cosma_outputs_t *outs)
{
    if (outs == NULL)
        return;
    for (int k = 0; k < outs->n; k++) {
        if (outs->items[k].temp != NULL)
            unlink(outs->items[k].temp);
        free(outs->items[k].temp);
        free(outs->items[k].path);
    }
    free(outs);
}

static const char *file_kind(mode_t mode)
{
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* The folder part of path ("." when there is none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir != NULL) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

cosma_status_t cosma_outputs_add_input(cosma_outputs_t *outs, const char *path)
{
    struct stat st;
    if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) != 0)
        return COSMA_OK; /* reading it reports the problem */
    if (outs->n_inputs >= COSMA_OUTPUTS_MAX)
        return COSMA_ERR_USAGE;
    outs->inputs[outs->n_inputs].id.dev = st.st_dev;
    outs->inputs[outs->n_inputs].id.ino = st.st_ino;
    outs->inputs[outs->n_inputs].path = path;
    outs->n_inputs++;
    return COSMA_OK;
}

static int same_id(file_id_t a, file_id_t b)
{
    return a.dev == b.dev && a.ino == b.ino;
}

/* Refuses a target that is an input, an earlier output, or not a regular
 * file; fills in the identities of the target and its folder. */
static cosma_status_t check_target(const cosma_outputs_t *outs, output_t *out, cosma_diag_t *diag)
{
    struct stat st;
    if (lstat(out->path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "refusing to write '%s': it is %s, and cosma replaces only "
                              "regular files", out->path, file_kind(st.st_mode));
            return COSMA_ERR_USAGE;
        }
        out->exists = 1;
        out->id.dev = st.st_dev;
        out->id.ino = st.st_ino;
    } else if (errno != ENOENT) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': %s", out->path, strerror(errno));
        return COSMA_ERR_IO;
    }
    char *dir = dir_of(out->path);
    if (dir == NULL)
        return COSMA_ERR_NOMEM;
    errno = 0;
    int dir_ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    int dir_errno = errno;
    free(dir);
    if (!dir_ok) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot create '%s': %s", out->path,
                          strerror(dir_errno != 0 ? dir_errno : ENOTDIR));
        return COSMA_ERR_IO;
    }
    out->dir.dev = st.st_dev;
    out->dir.ino = st.st_ino;
    for (int k = 0; k < outs->n_inputs; k++)
        if (out->exists && same_id(out->id, outs->inputs[k].id)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "refusing to write '%s': it is the input '%s' of this command",
                              out->path, outs->inputs[k].path);
            return COSMA_ERR_USAGE;
        }
    for (int k = 0; k < outs->n; k++) {
        const output_t *other = &outs->items[k];
        if (other->is_stdout)
            continue;
        if ((out->exists && other->exists && same_id(out->id, other->id)) ||
            (same_id(out->dir, other->dir) && strcmp(out->base, other->base) == 0)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "refusing to write '%s' twice: it is also the output '%s'",
                              out->path, other->path);
            return COSMA_ERR_USAGE;
        }
    }
    return COSMA_OK;
}

cosma_status_t cosma_outputs_add(cosma_outputs_t *outs, const char *path, cosma_diag_t *diag)
{
    if (path == NULL || path[0] == '\0') {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "an output file name is empty");
        return COSMA_ERR_USAGE;
    }
    if (outs->n >= COSMA_OUTPUTS_MAX)
        return COSMA_ERR_USAGE;
    output_t *out = &outs->items[outs->n];
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0) {
        for (int k = 0; k < outs->n; k++)
            if (outs->items[k].is_stdout) {
                cosma_diag_report(diag, COSMA_SEV_ERROR, "two outputs are '-': only one may go to standard output");
                return COSMA_ERR_USAGE;
            }
        out->is_stdout = 1;
    }
    if ((out->path = strdup(path)) == NULL)
        return COSMA_ERR_NOMEM;
    const char *slash = strrchr(out->path, '/');
    out->base = slash != NULL ? slash + 1 : out->path;
    cosma_status_t status = out->is_stdout ? COSMA_OK : check_target(outs, out, diag);
    if (status == COSMA_OK && !out->is_stdout && out->base[0] == '\0') {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': it names a folder, not a file", path);
        status = COSMA_ERR_USAGE;
    }
    if (status != COSMA_OK) {
        free(out->path);
        out->path = NULL;
        return status;
    }
    outs->n++;
    return COSMA_OK;
}

static output_t *find_output(cosma_outputs_t *outs, const char *path)
{
    for (int k = 0; k < outs->n; k++)
        if (strcmp(outs->items[k].path, path) == 0)
            return &outs->items[k];
    return NULL;
}

static void random_name(char *out, int attempt)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[TEMP_RANDOM];
    if (getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != (ssize_t)sizeof bytes) {
        /* No entropy yet: O_EXCL keeps a guessed name harmless. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t mix = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
        for (int k = 0; k < TEMP_RANDOM; k++) {
            mix = mix * 6364136223846793005ull + 1442695040888963407ull + (uint64_t)attempt;
            bytes[k] = (unsigned char)(mix >> 56);
        }
    }
    for (int k = 0; k < TEMP_RANDOM; k++)
        out[k] = alphabet[bytes[k] % (sizeof alphabet - 1)];
    out[TEMP_RANDOM] = '\0';
}

/* Creates the temporary file of out: "DIR/.cosma-RANDOM[.EXT]". */
static cosma_status_t create_temp(output_t *out, cosma_diag_t *diag)
{
    size_t dir_length = (size_t)(out->base - out->path);
    const char *ext = strrchr(out->base, '.');
    if (ext == NULL || ext == out->base || strlen(ext) > TEMP_MAX_EXT)
        ext = "";
    size_t size = dir_length + sizeof ".cosma-" + TEMP_RANDOM + strlen(ext) + 1;
    char *temp = malloc(size);
    if (temp == NULL)
        return COSMA_ERR_NOMEM;
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        char name[TEMP_RANDOM + 1];
        random_name(name, attempt);
        snprintf(temp, size, "%.*s.cosma-%s%s", (int)dir_length, out->path, name, ext);
        int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) {
            close(fd);
            out->temp = temp;
            return COSMA_OK;
        }
        if (errno != EEXIST)
            break;
    }
    cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot create a temporary file next to '%s': %s", out->path,
                      strerror(errno));
    free(temp);
    return COSMA_ERR_IO;
}

cosma_status_t cosma_outputs_temp(cosma_outputs_t *outs, const char *path, const char **out_temp,
                                  cosma_diag_t *diag)
{
    output_t *out = find_output(outs, path);
    if (out == NULL || out->is_stdout)
        return COSMA_ERR_USAGE;
    cosma_status_t status = out->temp != NULL ? COSMA_OK : create_temp(out, diag);
    if (status == COSMA_OK)
        *out_temp = out->temp;
    return status;
}

void cosma_outputs_drop(cosma_outputs_t *outs, const char *path)
{
    output_t *out = find_output(outs, path);
    if (out != NULL && out->temp != NULL) {
        unlink(out->temp);
        free(out->temp);
        out->temp = NULL;
    }
}

static cosma_status_t write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t done = write(fd, data, length);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return COSMA_ERR_IO;
        data += done;
        length -= (size_t)done;
    }
    return COSMA_OK;
}

cosma_status_t cosma_outputs_write(cosma_outputs_t *outs, const char *path, const void *data, size_t length,
                                   cosma_diag_t *diag)
{
    output_t *out = find_output(outs, path);
    if (out == NULL)
        return COSMA_ERR_USAGE;
    if (out->is_stdout) {
        if (fwrite(data, 1, length, stdout) != length || fflush(stdout) != 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write to standard output: %s", strerror(errno));
            return COSMA_ERR_IO;
        }
        return COSMA_OK;
    }
    const char *temp = NULL;
    cosma_status_t status = cosma_outputs_temp(outs, path, &temp, diag);
    if (status != COSMA_OK)
        return status;
    int fd = open(temp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || write_all(fd, data, length) != COSMA_OK) {
        int error = errno;
        if (fd >= 0)
            close(fd);
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': %s", path, strerror(error));
        return COSMA_ERR_IO;
    }
    if (close(fd) != 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': %s", path, strerror(errno));
        return COSMA_ERR_IO;
    }
    return COSMA_OK;
}

/* Makes a rename durable: the folder's entry is on disk too. */
static void sync_dir(const char *path)
{
    char *dir = dir_of(path);
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

cosma_status_t cosma_outputs_commit(cosma_outputs_t *outs, cosma_diag_t *diag)
{
    /* Everything is written and synced before the first rename, so only a
     * rename itself can fail part-way (it does not, short of a crash). */
    for (int k = 0; k < outs->n; k++) {
        output_t *out = &outs->items[k];
        if (out->is_stdout || out->temp == NULL)
            continue;
        int fd = open(out->temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': %s", out->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return COSMA_ERR_IO;
        }
        close(fd);
        struct stat st;
        /* The target may have been replaced while cosma ran. */
        if (lstat(out->path, &st) == 0 && !S_ISREG(st.st_mode)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "refusing to write '%s': it is now %s", out->path,
                              file_kind(st.st_mode));
            return COSMA_ERR_USAGE;
        }
    }
    for (int k = 0; k < outs->n; k++) {
        output_t *out = &outs->items[k];
        if (out->is_stdout || out->temp == NULL)
            continue;
        if (rename(out->temp, out->path) != 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot write '%s': %s", out->path, strerror(errno));
            return COSMA_ERR_IO;
        }
        free(out->temp);
        out->temp = NULL;
        sync_dir(out->path);
    }
    return COSMA_OK;
}

cosma_status_t cosma_file_write_atomic(const char *path, const void *data, size_t length, cosma_diag_t *diag)
{
    cosma_outputs_t *outs = cosma_outputs_create();
    if (outs == NULL)
        return COSMA_ERR_NOMEM;
    cosma_status_t status = cosma_outputs_add(outs, path, diag);
    if (status == COSMA_OK)
        status = cosma_outputs_write(outs, path, data, length, diag);
    if (status == COSMA_OK)
        status = cosma_outputs_commit(outs, diag);
    cosma_outputs_destroy(outs);
    return status;
}
