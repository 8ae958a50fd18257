/* Tests of optim.c and rng.c: torch.optim's validation messages, the SGD and
 * Adam updates step by step against PyTorch (fixtures/model_optim.safetensors
 * from gen_model_fixtures.py), the first-step momentum rule, the checked step's
 * all-or-nothing behaviour, and the generator's reference values.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/optim.h"
#include "engine/rng.h"
#include "testutil.h"

// ---- validation: torch.optim's wording --------------------------------------------

static void expect_invalid(OptimizerConfig c, const char *want) {
    ClError err = {0};
    cr_assert_eq(optimizer_validate(&c, &err), -1, "expected \"%s\"", want);
    cr_assert_str_eq(err.msg, want);
}

Test(optim, validation_messages_match_torch) {
    OptimizerConfig sgd = optimizer_default_config(OPTIM_SGD);
    OptimizerConfig adam = optimizer_default_config(OPTIM_ADAM);
    ClError err = {0};
    cr_assert_eq(optimizer_validate(&sgd, &err), 0, "%s", err.msg);
    cr_assert_eq(optimizer_validate(&adam, &err), 0, "%s", err.msg);

    OptimizerConfig c = sgd;
    c.lr = -1;
    expect_invalid(c, "Invalid learning rate: -1.0");
    c.lr = -0.001f;
    expect_invalid(c, "Invalid learning rate: -0.001");
    c.lr = NAN;
    expect_invalid(c, "Invalid learning rate: nan");
    c = sgd, c.momentum = -0.5f;
    expect_invalid(c, "Invalid momentum value: -0.5");
    c = sgd, c.weight_decay = -1e-5f;
    expect_invalid(c, "Invalid weight_decay value: -1e-05");
    c = sgd, c.nesterov = true;
    expect_invalid(c, "Nesterov momentum requires a momentum and zero dampening");
    c.momentum = 0.9f, c.dampening = 0.1f;
    expect_invalid(c, "Nesterov momentum requires a momentum and zero dampening");
    c.dampening = 0;
    cr_assert_eq(optimizer_validate(&c, &err), 0, "%s", err.msg);

    c = adam, c.lr = -2.5f;
    expect_invalid(c, "Invalid learning rate: -2.5");
    c = adam, c.eps = -1;
    expect_invalid(c, "Invalid epsilon value: -1.0");
    c = adam, c.beta1 = 1;
    expect_invalid(c, "Invalid beta parameter at index 0: 1.0");
    c = adam, c.beta2 = -0.25f;
    expect_invalid(c, "Invalid beta parameter at index 1: -0.25");
    c = adam, c.weight_decay = -100;
    expect_invalid(c, "Invalid weight_decay value: -100.0");
}

Test(optim, defaults_are_torchs) {
    OptimizerConfig a = optimizer_default_config(OPTIM_ADAM);
    cr_assert_float_eq(a.lr, 1e-3f, 0);
    cr_assert_float_eq(a.beta1, 0.9f, 0);
    cr_assert_float_eq(a.beta2, 0.999f, 0);
    cr_assert_float_eq(a.eps, 1e-8f, 0);
    cr_assert_eq(a.weight_decay, 0);
    OptimizerConfig s = optimizer_default_config(OPTIM_SGD);
    cr_assert(s.momentum == 0 && s.dampening == 0 && s.weight_decay == 0 && !s.nesterov);
}

// ---- the updates against PyTorch ------------------------------------------------------

static void run_case(const char *name, OptimizerConfig c) {
    StFile f;
    fixture_open(&f, "model_optim.safetensors");
    int n = fixture_meta_int(&f, "n"), steps = fixture_meta_int(&f, "steps");
    const float *p0 = fixture_f32(&f, "params0", NULL);
    const float *grads = fixture_f32(&f, "grads", NULL);
    char key[64];
    snprintf(key, sizeof key, "%s.after", name);
    int64_t numel;
    const float *after = fixture_f32(&f, key, &numel);
    cr_assert_eq(numel, (int64_t)n * steps);

    ClError err = {0};
    cr_assert_eq(optimizer_validate(&c, &err), 0, "%s: %s", name, err.msg);
    Optimizer opt;
    optimizer_init(&opt, &c, n);
    float *p = malloc(sizeof(float) * (size_t)n);
    memcpy(p, p0, sizeof(float) * (size_t)n);
    for (int s = 0; s < steps; s++) {
        optimizer_step(&opt, p, grads + (size_t)s * n);
        char what[96];
        snprintf(what, sizeof what, "%s step %d", name, s + 1);
        cr_assert(allclose(p, after + (size_t)s * n, n, 1e-6f, 1e-5f, what), "%s differs from torch.optim", what);
    }
    cr_assert_eq(opt.t, steps);
    free(p);
    optimizer_free(&opt);
    st_free(&f);
}

static OptimizerConfig sgd(float lr, float momentum, float dampening, float wd, bool nesterov) {
    OptimizerConfig c = optimizer_default_config(OPTIM_SGD);
    c.lr = lr, c.momentum = momentum, c.dampening = dampening, c.weight_decay = wd, c.nesterov = nesterov;
    return c;
}

Test(optim, sgd_plain_matches_torch) { run_case("sgd_plain", sgd(0.1f, 0, 0, 0, false)); }
Test(optim, sgd_momentum_matches_torch) { run_case("sgd_momentum", sgd(0.05f, 0.9f, 0, 0, false)); }
Test(optim, sgd_dampening_weight_decay_matches_torch) { run_case("sgd_dampening_wd", sgd(0.05f, 0.8f, 0.3f, 0.01f, false)); }
Test(optim, sgd_nesterov_weight_decay_matches_torch) { run_case("sgd_nesterov_wd", sgd(0.05f, 0.9f, 0, 0.02f, true)); }
Test(optim, adam_default_matches_torch) { run_case("adam_default", optimizer_default_config(OPTIM_ADAM)); }
Test(optim, adam_custom_weight_decay_matches_torch) {
    OptimizerConfig c = optimizer_default_config(OPTIM_ADAM);
    c.lr = 0.01f, c.beta1 = 0.8f, c.beta2 = 0.99f, c.eps = 1e-6f, c.weight_decay = 0.05f;
    run_case("adam_custom_wd", c);
}

// torch: the momentum buffer starts as a copy of the first gradient (not
// (1 - dampening) * g), then buf = mu*buf + (1 - dampening)*g.
Test(optim, sgd_first_step_buffer_is_the_gradient) {
    OptimizerConfig c = sgd(1.0f, 0.5f, 0.5f, 0, false);
    Optimizer opt;
    optimizer_init(&opt, &c, 1);
    float p = 0, g = 2;
    optimizer_step(&opt, &p, &g);
    cr_assert_float_eq(opt.state1[0], 2.0f, 0);   // buf = g, dampening ignored
    cr_assert_float_eq(p, -2.0f, 0);
    g = 4;
    optimizer_step(&opt, &p, &g);
    cr_assert_float_eq(opt.state1[0], 0.5f * 2 + 0.5f * 4, 0);
    cr_assert_float_eq(p, -2.0f - 3.0f, 0);
    optimizer_reset(&opt);
    cr_assert_eq(opt.t, 0);
    cr_assert_eq(opt.state1[0], 0);
    optimizer_free(&opt);
}

// Adam's first step moves every parameter by about lr, whatever the gradient's scale.
Test(optim, adam_first_step_is_lr_sized) {
    OptimizerConfig c = optimizer_default_config(OPTIM_ADAM);
    Optimizer opt;
    optimizer_init(&opt, &c, 3);
    float p[3] = {0, 0, 0}, g[3] = {1e-3f, 5.0f, -200.0f};
    optimizer_step(&opt, p, g);
    cr_assert_float_eq(p[0], -1e-3f, 1e-7f);  // eps shows at |g| = 1e-3
    cr_assert_float_eq(p[1], -1e-3f, 1e-8f);
    cr_assert_float_eq(p[2], 1e-3f, 1e-8f);
    optimizer_free(&opt);
}

Test(optim, checked_step_refuses_a_non_finite_update_and_changes_nothing) {
    OptimizerConfig c = sgd(1e30f, 0.9f, 0, 0, false);
    Optimizer opt;
    optimizer_init(&opt, &c, 4);
    float p[4] = {1, 2, 3, 4}, g[4] = {1e-3f, 1e-3f, 1e-3f, 1e-3f};
    cr_assert_eq(optimizer_step_checked(&opt, p, g), 0);  // 1e27: finite
    cr_assert_eq(opt.t, 1);
    float p_before[4], buf_before[4];
    memcpy(p_before, p, sizeof p);
    memcpy(buf_before, opt.state1, sizeof buf_before);
    float big[4] = {1e-3f, 1e-3f, 1e10f, 1e-3f};          // 1e30 * 1e10 overflows
    cr_assert_eq(optimizer_step_checked(&opt, p, big), -1);
    cr_assert_eq(memcmp(p, p_before, sizeof p), 0, "params changed by a refused step");
    cr_assert_eq(memcmp(opt.state1, buf_before, sizeof buf_before), 0, "momentum changed by a refused step");
    cr_assert_eq(opt.t, 1);
    float nan_grad[4] = {0, NAN, 0, 0};
    cr_assert_eq(optimizer_step_checked(&opt, p, nan_grad), -1);
    cr_assert_eq(memcmp(p, p_before, sizeof p), 0);
    optimizer_free(&opt);

    c = optimizer_default_config(OPTIM_ADAM);
    optimizer_init(&opt, &c, 2);
    float q[2] = {1, 1}, gi[2] = {INFINITY, 0};
    cr_assert_eq(optimizer_step_checked(&opt, q, gi), -1);
    cr_assert(q[0] == 1 && q[1] == 1 && opt.t == 0 && opt.state1[0] == 0 && opt.state2[0] == 0);
    optimizer_free(&opt);
}

// ---- rng -------------------------------------------------------------------------------

// Values from the reference algorithms (splitmix64 seeding, xoshiro256**),
// computed independently in Python.
Test(rng, matches_reference_xoshiro256starstar) {
    Rng r;
    rng_seed(&r, 0);
    cr_assert_eq(rng_next(&r), 0x99ec5f36cb75f2b4ULL);
    cr_assert_eq(rng_next(&r), 0xbf6e1f784956452aULL);
    cr_assert_eq(rng_next(&r), 0x1a5f849d4933e6e0ULL);
    rng_seed(&r, 42);
    cr_assert_eq(rng_next(&r), 0x15780b2e0c2ec716ULL);
    cr_assert_eq(rng_next(&r), 0x6104d9866d113a7eULL);
}

Test(rng, uniform_and_below_stay_in_range_and_cover_it) {
    Rng r;
    rng_seed(&r, 3);
    int counts[7] = {0};
    double sum = 0;
    for (int i = 0; i < 70000; i++) {
        double u = rng_uniform(&r);
        cr_assert(u >= 0 && u < 1);
        sum += u;
        uint32_t k = rng_below(&r, 7);
        cr_assert(k < 7);
        counts[k]++;
    }
    cr_assert(fabs(sum / 70000 - 0.5) < 0.01, "mean of uniforms %g", sum / 70000);
    for (int k = 0; k < 7; k++) cr_assert(counts[k] > 9000 && counts[k] < 11000, "bucket %d: %d", k, counts[k]);
    cr_assert_eq(rng_below(&r, 1), 0);
}

Test(rng, shuffle_is_a_seeded_permutation) {
    enum { N = 100 };
    int32_t a[N], b[N], seen[N] = {0};
    for (int i = 0; i < N; i++) a[i] = b[i] = i;
    Rng r1, r2;
    rng_seed(&r1, 9);
    rng_seed(&r2, 9);
    rng_shuffle(&r1, a, N);
    rng_shuffle(&r2, b, N);
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "same seed, different shuffles");
    int moved = 0;
    for (int i = 0; i < N; i++) seen[a[i]]++, moved += a[i] != i;
    for (int i = 0; i < N; i++) cr_assert_eq(seen[i], 1, "not a permutation");
    cr_assert(moved > N / 2, "shuffle left %d of %d in place", N - moved, N);
    rng_shuffle(&r1, a, N);  // the next epoch's order differs
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
}
