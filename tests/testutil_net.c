#include "testutil_net.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Net *net;
    const float *x;
    const uint8_t *labels;
    int N;
    const NetFdOptions *o;
    uint8_t *signs;    // every ReLU/LeakyReLU input sign at the base point
    int32_t *indices;  // every max-pool argmax at the base point
} FdCtx;

// Compares the kinks of the last forward with (or records) the base point's.
static bool same_kinks(FdCtx *c, bool record) {
    Net *net = c->net;
    long m = 0, k = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const Layer *l = &net->layers[i];
        long size = (long)l->out_c * l->out_h * l->out_w * c->N;
        if (l->kind == LAYER_RELU || l->kind == LAYER_LEAKY_RELU)
            for (long j = 0; j < size; j++, m++) {
                uint8_t on = net->acts[i][j] > 0;
                if (record) c->signs[m] = on;
                else if (c->signs[m] != on) return false;
            }
        if (l->kind == LAYER_MAXPOOL2D)
            for (long j = 0; j < size; j++, k++) {
                if (record) c->indices[k] = net->pool_indices[i][j];
                else if (c->indices[k] != net->pool_indices[i][j]) return false;
            }
    }
    return true;
}

// The mean cross-entropy in double from the float logits: far less rounding
// noise than the float loss, so small steps give accurate differences.
static double loss_double(FdCtx *c) {
    if (c->o->reseed_dropout) net_seed_dropout(c->net, c->o->dropout_seed);
    const float *z = net_forward(c->net, c->x, c->N);
    double total = 0;
    for (int n = 0; n < c->N; n++) {
        const float *r = z + n * 10;
        double m = r[0], s = 0;
        for (int k = 1; k < 10; k++) m = fmax(m, r[k]);
        for (int k = 0; k < 10; k++) s += exp(r[k] - m);
        total += m + log(s) - r[c->labels[n]];
    }
    return total / c->N;
}

// Tensor t's entries to check: its `count` largest gradients, then `count` spread out.
static int pick_entries(long *picks, const NetTensor *t, const float *analytic, int count) {
    int n = 0;
    for (int r = 0; r < count && r < t->numel; r++) {
        long best = -1;
        for (long i = 0; i < t->numel; i++) {
            bool taken = false;
            for (int q = 0; q < n; q++) taken |= picks[q] == t->offset + i;
            if (!taken && (best < 0 || fabsf(analytic[t->offset + i]) > fabsf(analytic[best]))) best = t->offset + i;
        }
        picks[n++] = best;
    }
    for (int r = 0; r < count && r < t->numel; r++) picks[n++] = t->offset + (t->numel * (2 * r + 1)) / (2 * count + 1);
    return n;
}

NetFdResult net_fd_check(Net *net, const float *x, const uint8_t *labels, int N, const NetFdOptions *o) {
    long kinks = 0;
    for (int i = 0; i < net->n_layers; i++) kinks += (long)net->layers[i].out_c * net->layers[i].out_h * net->layers[i].out_w * N;
    FdCtx c = {net, x, labels, N, o, malloc((size_t)kinks), malloc(sizeof(int32_t) * (size_t)kinks)};
    loss_double(&c);
    same_kinks(&c, true);
    net_backward(net, labels, N);
    float *analytic = malloc(sizeof(float) * (size_t)net->n_params);
    memcpy(analytic, net->grads, sizeof(float) * (size_t)net->n_params);
    NetTensor ts[NET_MAX_TENSORS];
    int nt = net_tensors(net, ts);
    long *picks = malloc(sizeof(long) * 2 * (size_t)o->picks);
    NetFdResult res = {0};
    for (int k = 0; k < nt; k++) {
        if (!ts[k].learnable) continue;
        res.learnable++;
        int npick = pick_entries(picks, &ts[k], analytic, o->picks);
        for (int q = 0; q < npick; q++) {
            float *p = &net->params[picks[q]], saved = *p;
            *p = saved + o->eps;
            double up = loss_double(&c);
            bool ok = same_kinks(&c, false);
            *p = saved - o->eps;
            double down = loss_double(&c);
            ok = ok && same_kinks(&c, false);
            *p = saved;
            if (!ok) { res.skipped++; continue; }  // a ReLU or an argmax flipped: not differentiable here
            double num = (up - down) / (2.0 * (double)o->eps), ana = analytic[picks[q]], e = fabs(num - ana);
            cr_assert(e <= o->rtol * fabs(ana) + o->atol, "%s %s (entry %ld): numeric %.8g analytic %.8g", o->what,
                      ts[k].name, picks[q] - ts[k].offset, num, ana);
            if (fabs(ana) > 1e-3) res.worst = fmax(res.worst, e / fabs(ana));
            res.checked++;
        }
    }
    fprintf(stderr, "%s finite differences: %d parameters checked, %d skipped at kinks, worst relative error %.3g\n",
            o->what, res.checked, res.skipped, res.worst);
    free(picks);
    free(c.signs);
    free(c.indices);
    free(analytic);
    return res;
}
