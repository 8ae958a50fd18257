/* The data of the "network" scene kind (scene_network.c), read by its view
 * (ui/view_network.c) and the tests: CNNNet's layer table with formulas, and
 * one image's activation at every layer.
 */
#ifndef CONVLAB_SCENE_NETWORK_H
#define CONVLAB_SCENE_NETWORK_H

#include <stdbool.h>
#include <stdio.h>
#include "engine/net.h"
#include "lesson/netlesson.h"
#include "lesson/scene.h"

#define NETWORK_FOCUS_NONE (-2)
#define NETWORK_FOCUS_INPUT (-1)

typedef struct {
    char model[64];                 // the net's name ("cnnnet", "lenet5")
    Layer layers[NET_MAX_LAYERS];   // the engine's layer table (scene_build_net)
    int n_layers;
    bool focus_missing;             // the step's `layer` is not in the chosen net (its whole table is shown)
    bool focus_mapped;              // ... but the layer in the same role is shown (CNNNet's pool1: the first pool)
    char focus_wanted[32];          // that layer's name
    bool about_cnnnet;              // `about = cnnnet`: the step's text describes CNNNet itself (a note says so)
    long n_params;                  // 76,922
    char size_formula[NET_MAX_LAYERS][96];  // "⌊(32 − 5)/1⌋ + 1 = 28"
    char param_formula[NET_MAX_LAYERS][96]; // "8·(3·5·5) + 8 = 608"
    char total_formula[400];        // "608 + 1,168 + 73,856 + 1,290 = 76,922"
    int focus;                      // layer index, or NETWORK_FOCUS_*
    bool extractor;                 // highlight nn.Sequential(*list(net.children())[:4])
    WeightsInfo weights;
    bool have_acts;                 // an image went through the net
    bool no_data;                   // the step names an image but CIFAR-10 is missing (the table still shows)
    char data_hint[1024];           // why, for the note
    float *acts[NET_MAX_LAYERS + 1];// acts[0] input (3,32,32) normalized; acts[i+1] layer i's output, one sample
    long acts_n[NET_MAX_LAYERS + 1];
    float probs[NET_NUM_CLASSES];   // softmax of the logits
    int pred;                       // argmax
    float *extract;                 // (16,6,6) the Sequential's output (conv1, pool1, conv2, pool2, no ReLU) or NULL
    long extract_n;
    int extract_diff;               // values where it differs from the net's pool2 output
    int extract_negative;           // negative values in it (the net's pool2 has none: ReLU)
} NetworkExt;

// "8×28×28" (C×H×W, PyTorch's order), or "576" for a vector.
void network_shape_text(char *buf, size_t n, int c, int h, int w);

// For a layer name the chosen net lacks: the index of its layer in the same role as
// CNNNet's layer of that name (the k-th of its kind: convolution, pooling,
// activation, Flatten, Linear; CNNNet's last of a kind maps to the last), or -1.
int network_role_layer(const Net *net, const char *cnnnet_name);

// The facts lesson 8's texts write as {key} (scene_facts.h), from the net's layer
// table and the focused layer: {net}, {total}, {n_conv}, ..., {name}, {call}, {out},
// {size}, {params}, {param_formula}, ... (scene_network_facts.c).
void network_record_facts(Scene *sc, const NetworkExt *e);

#endif
