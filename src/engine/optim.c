/* torch.optim.SGD and torch.optim.Adam over one flat parameter block, with the
 * update rules of PyTorch 1.13's _single_tensor_sgd / _single_tensor_adam
 * (the formulas are in optim.h). Called by trainer.c.
 * optimizer_step_checked computes the whole update before committing any of
 * it, so a diverging step can be refused with the state left untouched.
 */
#include "engine/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels.h"

// ---- configuration --------------------------------------------------------

OptimizerConfig optimizer_default_config(OptimizerKind kind) {
    OptimizerConfig c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = 0.001f;
    if (kind == OPTIM_ADAM) {
        c.beta1 = 0.9f;
        c.beta2 = 0.999f;
        c.eps = 1e-8f;
    }
    return c;
}

// Formats x as Python's repr(float) would print the value the user typed:
// the shortest decimal that reads back as the same float, "-1.0" not "-1".
static void py_float_repr(char *out, size_t size, float x) {
    if (isnan(x)) { snprintf(out, size, "nan"); return; }
    if (isinf(x)) { snprintf(out, size, x > 0 ? "inf" : "-inf"); return; }
    int digits = 1;
    char buf[64];
    for (; digits < 9; digits++) {
        snprintf(buf, sizeof buf, "%.*e", digits - 1, (double)x);
        if (strtof(buf, NULL) == x) break;
    }
    snprintf(buf, sizeof buf, "%.*e", digits - 1, (double)x);
    int exp10 = atoi(strchr(buf, 'e') + 1);
    if (x != 0 && (exp10 < -4 || exp10 >= 16)) {  // Python switches to 1e-05 style here
        char mant[32];
        snprintf(mant, sizeof mant, "%.*s", (int)(strchr(buf, 'e') - buf), buf);
        snprintf(out, size, "%se%c%02d", mant, exp10 < 0 ? '-' : '+', abs(exp10));
        return;
    }
    int decimals = digits - 1 - exp10;
    if (decimals < 1) decimals = 1;
    snprintf(out, size, "%.*f", decimals, (double)x);
}

int optimizer_validate(const OptimizerConfig *c, ClError *err) {
    char v[64];
    // `!(x >= 0)` also rejects NaN, as Adam's `not 0.0 <= lr` does.
    if (!(c->lr >= 0)) { py_float_repr(v, sizeof v, c->lr); return cl_fail(err, "Invalid learning rate: %s", v); }
    if (!(c->weight_decay >= 0)) {
        py_float_repr(v, sizeof v, c->weight_decay);
        return cl_fail(err, "Invalid weight_decay value: %s", v);
    }
    if (c->kind == OPTIM_SGD) {
        if (!(c->momentum >= 0)) { py_float_repr(v, sizeof v, c->momentum); return cl_fail(err, "Invalid momentum value: %s", v); }
        if (!isfinite(c->dampening)) { py_float_repr(v, sizeof v, c->dampening); return cl_fail(err, "Invalid dampening value: %s", v); }
        if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
            return cl_fail(err, "Nesterov momentum requires a momentum and zero dampening");
    } else if (c->kind == OPTIM_ADAM) {
        if (!(c->eps >= 0)) { py_float_repr(v, sizeof v, c->eps); return cl_fail(err, "Invalid epsilon value: %s", v); }
        if (!(c->beta1 >= 0 && c->beta1 < 1)) {
            py_float_repr(v, sizeof v, c->beta1);
            return cl_fail(err, "Invalid beta parameter at index 0: %s", v);
        }
        if (!(c->beta2 >= 0 && c->beta2 < 1)) {
            py_float_repr(v, sizeof v, c->beta2);
            return cl_fail(err, "Invalid beta parameter at index 1: %s", v);
        }
    } else {
        return cl_fail(err, "Invalid optimizer kind: %d", (int)c->kind);
    }
    return 0;
}

// ---- state ----------------------------------------------------------------

void optimizer_init(Optimizer *opt, const OptimizerConfig *c, long n) {
    CL_ASSERT(n >= 0);
    memset(opt, 0, sizeof *opt);
    opt->config = *c;
    opt->n = n;
    bool needs_state1 = c->kind == OPTIM_ADAM || c->momentum != 0;
    opt->state1 = needs_state1 ? cl_calloc((size_t)n, sizeof(float)) : NULL;
    opt->state2 = c->kind == OPTIM_ADAM ? cl_calloc((size_t)n, sizeof(float)) : NULL;
}

void optimizer_free(Optimizer *opt) {
    free(opt->state1);
    free(opt->state2);
    opt->state1 = opt->state2 = NULL;
}

void optimizer_reset(Optimizer *opt) {
    opt->t = 0;
    if (opt->state1) memset(opt->state1, 0, sizeof(float) * (size_t)opt->n);
    if (opt->state2) memset(opt->state2, 0, sizeof(float) * (size_t)opt->n);
}

// ---- the updates ------------------------------------------------------------
// Each element's update is one inline function, shared by the committing loop
// and by the dry run of optimizer_step_checked, so both see identical values.

typedef struct {
    float lr, wd, mu, one_minus_damp; // SGD
    bool first, nesterov, momentum;
    float b1, b2, one_minus_b1, one_minus_b2, eps, step_size, bc2_sqrt; // Adam
} StepScalars;

// PyTorch turns the Python-float hyper-parameters into these scalars in double
// and hands them to float kernels; we do the same.
static StepScalars step_scalars(const Optimizer *opt) {
    const OptimizerConfig *c = &opt->config;
    StepScalars s;
    memset(&s, 0, sizeof s);
    s.lr = c->lr;
    s.wd = c->weight_decay;
    s.mu = c->momentum;
    s.one_minus_damp = (float)(1.0 - (double)c->dampening);
    s.first = opt->t == 0;
    s.nesterov = c->nesterov;
    s.momentum = c->momentum != 0;
    if (c->kind == OPTIM_ADAM) {
        long step = opt->t + 1;
        s.b1 = c->beta1;
        s.b2 = c->beta2;
        s.one_minus_b1 = (float)(1.0 - (double)c->beta1);
        s.one_minus_b2 = (float)(1.0 - (double)c->beta2);
        s.eps = c->eps;
        double bc1 = 1.0 - pow((double)c->beta1, (double)step);
        double bc2 = 1.0 - pow((double)c->beta2, (double)step);
        s.step_size = (float)((double)c->lr / bc1);
        s.bc2_sqrt = (float)sqrt(bc2);
    }
    return s;
}

// SGD for one element: d = g + wd*p; buf = first ? d : mu*buf + (1-damp)*d;
// d = nesterov ? d + mu*buf : buf; p -= lr*d.
static inline void sgd_one(const StepScalars *s, float p, float g, float buf, float *p_new, float *buf_new) {
    float d = g;
    if (s->wd != 0) d = d + s->wd * p;
    if (s->momentum) {
        buf = s->first ? d : buf * s->mu + s->one_minus_damp * d;
        d = s->nesterov ? d + s->mu * buf : buf;
    }
    *buf_new = buf;
    *p_new = p - s->lr * d;
}

// The SGD part of s, as the kernels take it.
static SgdScalars sgd_scalars(const StepScalars *s) {
    SgdScalars v = {s->lr, s->wd, s->mu, s->one_minus_damp, s->first, s->nesterov, s->momentum};
    return v;
}

// Adam for one element, bias-corrected as torch: p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
static inline void adam_one(const StepScalars *s, float p, float g, float m, float v,
                            float *p_new, float *m_new, float *v_new) {
    if (s->wd != 0) g = g + s->wd * p;
    m = m * s->b1 + s->one_minus_b1 * g;
    v = v * s->b2 + s->one_minus_b2 * g * g;
    float denom = sqrtf(v) / s->bc2_sqrt + s->eps;
    *m_new = m;
    *v_new = v;
    *p_new = p - s->step_size * m / denom;
}

void optimizer_step(Optimizer *opt, float *params, const float *grads) {
    StepScalars s = step_scalars(opt);
    long n = opt->n;
    if (opt->config.kind == OPTIM_SGD) {
        float *buf = opt->state1;
        // The kernel tier's vectors first (the same operations, bit-identical), the tail here.
        const KernelTable *k = kernels_get();
        SgdScalars v = sgd_scalars(&s);
        long i = k->sgd_step ? k->sgd_step(&v, params, grads, buf, n) : 0;
        for (; i < n; i++) {
            float b_new;
            sgd_one(&s, params[i], grads[i], buf ? buf[i] : 0, &params[i], &b_new);
            if (buf) buf[i] = b_new;
        }
    } else {
        float *m = opt->state1, *v = opt->state2;
        for (long i = 0; i < n; i++) adam_one(&s, params[i], grads[i], m[i], v[i], &params[i], &m[i], &v[i]);
    }
    opt->t++;
}

int optimizer_check(const Optimizer *opt, const float *params, const float *grads) {
    StepScalars s = step_scalars(opt);
    long n = opt->n;
    // Dry run: x*0 is 0 for finite x and NaN for Inf/NaN, so one sum tells
    // whether every new parameter and every new state value is finite.
    float poison = 0;
    if (opt->config.kind == OPTIM_SGD) {
        const float *buf = opt->state1;
        // The same poison sum over the kernel tier's vectors: NaN in any lane makes it NaN.
        const KernelTable *k = kernels_get();
        SgdScalars v = sgd_scalars(&s);
        long i = 0;
        if (k->sgd_poison) poison += k->sgd_poison(&v, params, grads, buf, n, &i);
        for (; i < n; i++) {
            float p_new, b_new;
            sgd_one(&s, params[i], grads[i], buf ? buf[i] : 0, &p_new, &b_new);
            poison += p_new * 0 + b_new * 0;
        }
    } else {
        const float *m = opt->state1, *v = opt->state2;
        for (long i = 0; i < n; i++) {
            float p_new, m_new, v_new;
            adam_one(&s, params[i], grads[i], m[i], v[i], &p_new, &m_new, &v_new);
            poison += p_new * 0 + m_new * 0 + v_new * 0;
        }
    }
    return poison != 0 || isnan(poison) ? -1 : 0;
}

int optimizer_step_checked(Optimizer *opt, float *params, const float *grads) {
    if (optimizer_check(opt, params, grads) != 0) return -1;
    optimizer_step(opt, params, grads);
    return 0;
}
