/* Width and kernel edits of a parsed net (netfile_edit.c): the layers that
 * read the edited output follow, the parameter count is PyTorch's for the
 * edited module, and an impossible choice is refused with PyTorch's words,
 * leaving the net as it was.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/netfile.h"

static NetSpec spec;

static void load(const char *name) {
    char path[128];
    snprintf(path, sizeof path, "../assets/nets/%s.net", name);
    ClError err = {0};
    cr_assert_eq(netfile_load(&spec, path, 4, &err), 0, "%s", err.msg);
}

static int layer(const char *name) {
    for (int i = 0; i < spec.n_layers; i++)
        if (strcmp(spec.layers[i].name, name) == 0) return i;
    cr_assert_fail("no layer %s", name);
    return -1;
}

Test(netfile_edit, conv_width_feeds_the_next_conv) {
    load("cnnnet");
    ClError err = {0};
    cr_assert_eq(netfile_set_width(&spec, layer("conv1"), 16, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.layers[layer("conv2")].in_channels, 16);
    cr_assert_str_eq(spec.layers[layer("conv2")].text, "Conv2d(16, 16, 3)");
    cr_assert_str_eq(spec.layers[layer("conv1")].text, "Conv2d(3, 16, 5)");
    // 16*(3*5*5)+16 + 16*(16*3*3)+16 + 576*128+128 + 128*10+10
    cr_assert_eq(spec.n_params, 1216 + 2320 + 73856 + 1290);
}

Test(netfile_edit, last_conv_width_feeds_the_linear_after_flatten) {
    load("cnnnet");
    ClError err = {0};
    cr_assert_eq(netfile_set_width(&spec, layer("conv2"), 32, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.layers[layer("fc1")].in_features, 32 * 6 * 6);
    cr_assert_eq(spec.n_params, 608 + (32 * 8 * 9 + 32) + (1152 * 128 + 128) + 1290);
}

Test(netfile_edit, hidden_linear_width_feeds_the_output_layer) {
    load("cnnnet");
    ClError err = {0};
    cr_assert_eq(netfile_set_width(&spec, layer("fc1"), 64, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.layers[layer("fc2")].in_features, 64);
    cr_assert_eq(netfile_set_width(&spec, layer("fc2"), 20, &err), -1);
    cr_assert(strstr(err.msg, "the last one gives the 10 classes") != NULL, "%s", err.msg);
}

Test(netfile_edit, batch_norm_follows_the_width) {
    load("small_vgg");
    ClError err = {0};
    cr_assert_eq(netfile_set_width(&spec, layer("conv1"), 8, &err), 0, "%s", err.msg);
    cr_assert_eq(spec.layers[layer("bn1")].num_features, 8);
    cr_assert_eq(spec.layers[layer("conv2")].in_channels, 8);
    cr_assert_str_eq(spec.layers[layer("bn1")].text, "BatchNorm2d(8)");
}

Test(netfile_edit, kernel_size_changes_the_flattened_size) {
    load("cnnnet");
    ClError err = {0};
    cr_assert_eq(netfile_set_kernel(&spec, layer("conv1"), 7, &err), 0, "%s", err.msg);
    // 32 -7+1 = 26, pool 13, conv2 11, pool 5: 16*5*5
    cr_assert_eq(spec.layers[layer("fc1")].in_features, 400);
    cr_assert_str_eq(spec.layers[layer("conv1")].text, "Conv2d(3, 8, 7)");
}

Test(netfile_edit, impossible_choices_keep_the_net) {
    load("cnnnet");
    NetSpec before = spec;
    ClError err = {0};
    cr_assert_eq(netfile_set_kernel(&spec, layer("conv2"), 15, &err), -1);
    cr_assert(strstr(err.msg, ":7: Calculated padded input size per channel: (14 x 14). Kernel size: (15 x 15). Kernel size "
                              "can't be greater than actual input size") != NULL, "%s", err.msg);
    cr_assert(memcmp(&before, &spec, sizeof spec) == 0, "a refused edit changed the net");
    cr_assert_eq(netfile_set_width(&spec, layer("conv1"), 0, &err), -1);
    cr_assert(strstr(err.msg, "between 1 and") != NULL, "%s", err.msg);
    cr_assert_eq(netfile_set_kernel(&spec, layer("pool1"), 3, &err), -1);
    cr_assert(memcmp(&before, &spec, sizeof spec) == 0);
}

Test(netfile_edit, groups_must_still_divide) {
    ClError err = {0};
    const char *text = "(conv1): Conv2d(3, 8, 3)\n(conv2): Conv2d(8, 8, 3, groups=4)\nFlatten()\n(fc): Linear(6272, 10)\n";
    cr_assert_eq(netfile_parse(&spec, "g.net", text, 4, &err), 0, "%s", err.msg);
    NetSpec before = spec;
    cr_assert_eq(netfile_set_width(&spec, 0, 6, &err), -1);
    cr_assert(strstr(err.msg, "g.net:2:") != NULL, "%s", err.msg);
    cr_assert(memcmp(&before, &spec, sizeof spec) == 0);
    cr_assert_eq(netfile_set_width(&spec, 0, 12, &err), 0, "%s", err.msg);
}
