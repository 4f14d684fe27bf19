"""A large, realistic training script with three models, for the no-framework test and the benchmark.

    from bigfile import big_model_file      # tests/pycode on sys.path (the tests have it; bench/ inserts it)
    text = big_model_file()                 # about 1,000 lines, deterministic

The one source of the file that tests/pycode/test_pycode_imports.py checks and bench/bench_pycode.py times (the
requirement: `specbridge check` on a 1,000-line Python file with three models takes under 0.5 s cold, with no
framework imported). The script is what a project's train.py looks like: imports of TensorFlow/Keras and PyTorch,
argparse, data loading and augmentation in NumPy, metrics, learning-rate schedules, checkpoints, a Keras fit and a
PyTorch training loop, and three sizeable models written out layer by layer:

  VGGClassifier    keras.Sequential with model.add(...) lines: 5 conv blocks on 96x96x3, 46 layers
  ResNetRegressor  a functional keras.Model: a stem, 8 residual blocks (projection shortcuts when the width
                   changes), a second (tabular) input concatenated before the head, 74 layers
  ConvNet          a PyTorch nn.Module: 10 conv/batch-norm pairs, 5 pools, dropout and 3 linear layers (29 modules,
                   each an attribute; 53 steps with the F.relu and flatten calls of forward()), run in main() on
                   torch.randn(2, 3, 64, 64)

Every shape is consistent (the script would run in the frameworks): the reader must find the three models with no
error. Model layers are separate lines (written out by this generator), not built in loops; the file is padded
with small metric helpers to `lines` lines.
"""

from __future__ import annotations

N_MODELS = 3
MODEL_NAMES = ("vgg_classifier", "resnet_regressor", "net")  # as read_python names them (Keras name=, the torch variable)

HEADER = '''\
"""Train an image classifier, a regression head and a PyTorch baseline on the same image folder.

Usage:
    python train.py --data-dir data/images --epochs 20 --batch-size 64
    python train.py --framework torch --lr 3e-4 --checkpoint-dir runs/exp1

The three models share the data pipeline below (NumPy arrays, channels-last for Keras and channels-first for
PyTorch). Nothing here downloads anything: point --data-dir at a folder of .npy files, one per class.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import time
from collections import defaultdict

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger("train")

# ---------------------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------------------

IMAGE_SIZE = 96
RESNET_SIZE = 64
CHANNELS = 3
NUM_CLASSES = 10
NUM_TABULAR = 12
DEFAULT_SEED = 1234
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def set_seed(seed):
    """Seed every random number generator the script uses."""
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def setup_logging(verbose):
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.debug("logging at level %s", logging.getLevelName(level))


# ---------------------------------------------------------------------------------------------------------------
# Data loading
# ---------------------------------------------------------------------------------------------------------------


def list_class_files(data_dir):
    """{class name: [paths of .npy files]} for every class folder under data_dir."""
    found = defaultdict(list)
    for root, dirs, files in os.walk(data_dir):
        dirs.sort()
        label = os.path.basename(root)
        for name in sorted(files):
            if name.endswith(".npy"):
                found[label].append(os.path.join(root, name))
    return dict(found)


def load_arrays(data_dir, size=IMAGE_SIZE, limit=None):
    """(images, labels): images float32 (N, size, size, 3) in [0, 1], labels int64 (N,)."""
    images, labels = [], []
    for index, name in enumerate(CLASS_NAMES):
        paths = list_class_files(data_dir).get(name, [])
        if limit is not None:
            paths = paths[:limit]
        for path in paths:
            array = np.load(path).astype("float32")
            if array.max() > 1.0:
                array = array / 255.0
            images.append(resize_nearest(array, size))
            labels.append(index)
    if not images:
        raise SystemExit(f"no images found under {data_dir}")
    return np.stack(images), np.asarray(labels, dtype="int64")


def resize_nearest(image, size):
    """Nearest-neighbour resize of an (H, W, C) array to (size, size, C)."""
    height, width = image.shape[:2]
    rows = (np.arange(size) * height / size).astype("int64")
    cols = (np.arange(size) * width / size).astype("int64")
    return image[rows][:, cols]


def load_tabular(csv_path, n_rows):
    """The tabular features that go with each image (NUM_TABULAR columns), or zeros without a CSV."""
    if csv_path is None or not os.path.exists(csv_path):
        return np.zeros((n_rows, NUM_TABULAR), dtype="float32")
    rows = []
    with open(csv_path) as f:
        header = f.readline().strip().split(",")
        for line in f:
            values = line.strip().split(",")
            rows.append([float(v) if v else 0.0 for v in values[: len(header)]])
    table = np.asarray(rows, dtype="float32")[:n_rows]
    return (table - table.mean(axis=0)) / (table.std(axis=0) + 1e-6)


def train_val_split(images, labels, val_fraction=0.1, seed=DEFAULT_SEED):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    n_val = max(1, int(len(images) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return (images[train], labels[train]), (images[val], labels[val])


def normalize(images):
    return (images - np.asarray(MEAN, dtype="float32")) / np.asarray(STD, dtype="float32")


def batches(images, labels, batch_size, shuffle=True, seed=0):
    """Yield (x, y) batches of NumPy arrays, the last one possibly smaller."""
    order = np.arange(len(images))
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        yield images[index], labels[index]


# ---------------------------------------------------------------------------------------------------------------
# Augmentation
# ---------------------------------------------------------------------------------------------------------------


def random_flip(image, rng):
    return image[:, ::-1] if rng.random() < 0.5 else image


def random_crop(image, rng, padding=4):
    height, width = image.shape[:2]
    padded = np.pad(image, ((padding, padding), (padding, padding), (0, 0)), mode="reflect")
    top = rng.integers(0, 2 * padding + 1)
    left = rng.integers(0, 2 * padding + 1)
    return padded[top:top + height, left:left + width]


def color_jitter(image, rng, strength=0.1):
    scale = 1.0 + rng.uniform(-strength, strength, size=(1, 1, image.shape[-1]))
    shift = rng.uniform(-strength, strength, size=(1, 1, image.shape[-1]))
    return np.clip(image * scale + shift, 0.0, 1.0).astype("float32")


def cutout(image, rng, size=16):
    height, width = image.shape[:2]
    y = rng.integers(0, height)
    x = rng.integers(0, width)
    out = image.copy()
    out[max(0, y - size // 2):y + size // 2, max(0, x - size // 2):x + size // 2] = 0.0
    return out


def augment_batch(images, seed):
    rng = np.random.default_rng(seed)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        image = random_flip(image, rng)
        image = random_crop(image, rng)
        image = color_jitter(image, rng)
        if rng.random() < 0.25:
            image = cutout(image, rng)
        out[i] = image
    return out


class ImageDataset(Dataset):
    """The same arrays for PyTorch: channels first, augmented on the fly when training."""

    def __init__(self, images, labels, train=True, seed=0):
        self.images = images
        self.labels = labels
        self.train = train
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index]
        if self.train:
            image = color_jitter(random_crop(random_flip(image, self.rng), self.rng), self.rng)
        tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        return tensor, int(self.labels[index])


# ---------------------------------------------------------------------------------------------------------------
# Metrics and schedules
# ---------------------------------------------------------------------------------------------------------------


def accuracy(logits, labels):
    return float((np.argmax(logits, axis=-1) == labels).mean())


def top_k_accuracy(logits, labels, k=5):
    top = np.argsort(-logits, axis=-1)[:, :k]
    return float(np.any(top == labels[:, None], axis=-1).mean())


def confusion_matrix(predictions, labels, num_classes=NUM_CLASSES):
    matrix = np.zeros((num_classes, num_classes), dtype="int64")
    for p, t in zip(predictions, labels):
        matrix[t, p] += 1
    return matrix


def precision_recall_f1(matrix):
    """Per-class precision, recall and F1 from a confusion matrix (rows: truth)."""
    tp = np.diag(matrix).astype("float64")
    precision = tp / np.maximum(matrix.sum(axis=0), 1)
    recall = tp / np.maximum(matrix.sum(axis=1), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return precision, recall, f1


def cosine_lr(step, total_steps, base_lr, warmup=500):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))


def step_lr(epoch, base_lr, drop=0.1, every=30):
    return base_lr * (drop ** (epoch // every))


class AverageMeter:
    """Running mean of a scalar (loss, accuracy) over a training epoch."""

    def __init__(self, name):
        self.name = name
        self.total = 0.0
        self.count = 0

    def update(self, value, n=1):
        self.total += float(value) * n
        self.count += n

    @property
    def mean(self):
        return self.total / max(1, self.count)

    def __str__(self):
        return f"{self.name} {self.mean:.4f}"


'''

KERAS_SEQUENTIAL_HEAD = '''\
# ---------------------------------------------------------------------------------------------------------------
# Model 1: a VGG-style classifier, Keras Sequential (written out block by block, as in the Keras 2 examples)
# ---------------------------------------------------------------------------------------------------------------


def build_vgg_classifier(num_classes=NUM_CLASSES, dropout=0.3, weight_decay=1e-4):
    """Five conv blocks (two 3x3 convs, batch norm, ReLU, 2x2 max pool) and a dense head. 96x96x3 -> 3x3x512."""
    regularizer = keras.regularizers.l2(weight_decay)
    model = keras.Sequential(name="vgg_classifier")
    model.add(keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, CHANNELS)))
'''

FUNCTIONAL_HEAD = '''\
# ---------------------------------------------------------------------------------------------------------------
# Model 2: a small ResNet with a tabular side input, Keras functional API
# ---------------------------------------------------------------------------------------------------------------


def build_resnet_regressor(num_outputs=1, width=32):
    """A stem, eight residual blocks in four stages (projection shortcuts where the width changes), global
    pooling, and the tabular features concatenated before a dense regression head."""
    image = keras.Input(shape=(RESNET_SIZE, RESNET_SIZE, CHANNELS), name="image")
    tabular = keras.Input(shape=(NUM_TABULAR,), name="tabular")

    # Stem: 64x64 -> 32x32
    x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
'''

TORCH_HEAD = '''\
# ---------------------------------------------------------------------------------------------------------------
# Model 3: the PyTorch baseline, an nn.Module with every layer an attribute
# ---------------------------------------------------------------------------------------------------------------


class ConvNet(nn.Module):
    """Ten 3x3 conv / batch-norm pairs in five stages, max pooling after each stage, then three linear layers.
    Input (N, 3, 64, 64), channels first."""

    def __init__(self, num_classes=NUM_CLASSES, dropout=0.5):
        super().__init__()
'''

TRAINING = '''\
# ---------------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------------


def keras_callbacks(checkpoint_dir, patience):
    os.makedirs(checkpoint_dir, exist_ok=True)
    return [
        keras.callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, "best.keras"), save_best_only=True),
        keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(1, patience // 2)),
        keras.callbacks.CSVLogger(os.path.join(checkpoint_dir, "history.csv")),
    ]


def train_keras_classifier(model, train_data, val_data, args):
    """Compile and fit the Sequential classifier on augmented NumPy batches."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=args.lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x_train, y_train = train_data
    x_val, y_val = val_data
    history = model.fit(
        augment_batch(normalize(x_train), args.seed),
        y_train,
        validation_data=(normalize(x_val), y_val),
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=keras_callbacks(args.checkpoint_dir, args.patience),
        verbose=2,
    )
    return history.history


def train_keras_regressor(model, images, tabular, targets, args):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=args.lr, momentum=0.9), loss="mse", metrics=["mae"])
    return model.fit({"image": images, "tabular": tabular}, targets, epochs=args.epochs,
                     batch_size=args.batch_size, validation_split=0.1, verbose=2).history


def train_one_epoch(model, loader, optimizer, device, epoch, total_steps, base_lr):
    model.train()
    loss_meter = AverageMeter("loss")
    acc_meter = AverageMeter("acc")
    for step, (inputs, targets) in enumerate(loader):
        global_step = epoch * len(loader) + step
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(global_step, total_steps, base_lr)
        inputs = inputs.to(device)
        targets = targets.to(device)
        optimizer.zero_grad(set_to_none=True)
        logits = model(inputs)
        loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        loss_meter.update(loss.item(), inputs.size(0))
        acc_meter.update((logits.argmax(dim=1) == targets).float().mean().item(), inputs.size(0))
        if step % 50 == 0:
            logger.info("epoch %d step %d %s %s", epoch, step, loss_meter, acc_meter)
    return loss_meter.mean, acc_meter.mean


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    all_logits, all_labels = [], []
    for inputs, targets in loader:
        all_logits.append(model(inputs.to(device)).cpu().numpy())
        all_labels.append(targets.numpy())
    logits = np.concatenate(all_logits)
    labels = np.concatenate(all_labels)
    matrix = confusion_matrix(np.argmax(logits, axis=1), labels)
    precision, recall, f1 = precision_recall_f1(matrix)
    return {"accuracy": accuracy(logits, labels), "top5": top_k_accuracy(logits, labels),
            "macro_f1": float(f1.mean()), "precision": precision.tolist(), "recall": recall.tolist()}


def save_checkpoint(model, optimizer, epoch, metrics, checkpoint_dir):
    os.makedirs(checkpoint_dir, exist_ok=True)
    path = os.path.join(checkpoint_dir, f"epoch_{epoch:03d}.pt")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)
    with open(os.path.join(checkpoint_dir, f"epoch_{epoch:03d}.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return path


def load_checkpoint(model, optimizer, path, device):
    state = torch.load(path, map_location=device)
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    return state.get("epoch", 0)


def train_torch(model, train_data, val_data, args):
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    model = model.to(device)
    train_loader = DataLoader(ImageDataset(*train_data, train=True, seed=args.seed), batch_size=args.batch_size,
                              shuffle=True, num_workers=args.workers, drop_last=True)
    val_loader = DataLoader(ImageDataset(*val_data, train=False), batch_size=args.batch_size, shuffle=False,
                            num_workers=args.workers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    start_epoch = load_checkpoint(model, optimizer, args.resume, device) if args.resume else 0
    total_steps = args.epochs * len(train_loader)
    best = 0.0
    for epoch in range(start_epoch, args.epochs):
        started = time.time()
        loss, acc = train_one_epoch(model, train_loader, optimizer, device, epoch, total_steps, args.lr)
        metrics = evaluate(model, val_loader, device)
        metrics.update(loss=loss, train_accuracy=acc, seconds=time.time() - started)
        logger.info("epoch %d: loss %.4f val acc %.4f", epoch, loss, metrics["accuracy"])
        if metrics["accuracy"] > best:
            best = metrics["accuracy"]
            save_checkpoint(model, optimizer, epoch, metrics, args.checkpoint_dir)
    return best


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="data/images", help="a folder of class folders of .npy images")
    parser.add_argument("--tabular-csv", default=None, help="tabular features, one row per image")
    parser.add_argument("--framework", choices=["keras", "torch", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--limit", type=int, default=None, help="at most this many images per class")
    parser.add_argument("--checkpoint-dir", default="checkpoints")
    parser.add_argument("--resume", default=None, help="a PyTorch checkpoint to resume from")
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even when a GPU is available")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    setup_logging(args.verbose)
    set_seed(args.seed)
    images, labels = load_arrays(args.data_dir, IMAGE_SIZE, args.limit)
    train_data, val_data = train_val_split(images, labels, seed=args.seed)
    logger.info("%d training and %d validation images", len(train_data[0]), len(val_data[0]))

    vgg = build_vgg_classifier()
    resnet = build_resnet_regressor()
    net = ConvNet()
    logits = net(torch.randn(2, CHANNELS, RESNET_SIZE, RESNET_SIZE))
    logger.info("ConvNet output %s", tuple(logits.shape))

    results = {}
    if args.framework in ("keras", "both"):
        vgg.summary(print_fn=logger.info)
        results["vgg"] = train_keras_classifier(vgg, train_data, val_data, args)
        small = np.stack([resize_nearest(image, RESNET_SIZE) for image in images])
        tabular = load_tabular(args.tabular_csv, len(small))
        targets = labels.astype("float32") / NUM_CLASSES
        results["resnet"] = train_keras_regressor(resnet, small, tabular, targets, args)
    if args.framework in ("torch", "both"):
        small_train = (np.stack([resize_nearest(i, RESNET_SIZE) for i in train_data[0]]), train_data[1])
        small_val = (np.stack([resize_nearest(i, RESNET_SIZE) for i in val_data[0]]), val_data[1])
        results["torch_best_accuracy"] = train_torch(net, small_train, small_val, args)
    with open(os.path.join(args.checkpoint_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return 0


'''

FOOTER = '''\
if __name__ == "__main__":
    raise SystemExit(main())
'''

PAD_HEAD = '''\
# ---------------------------------------------------------------------------------------------------------------
# Reporting helpers
# ---------------------------------------------------------------------------------------------------------------


'''


def _keras_sequential() -> str:
    lines = [KERAS_SEQUENTIAL_HEAD]
    for block, filters in enumerate((32, 64, 128, 256, 512), start=1):
        lines.append(f"    # Block {block}: {filters} filters\n")
        for conv in (1, 2):
            lines.append(f'    model.add(layers.Conv2D({filters}, (3, 3), padding="same", use_bias=False, '
                         f'kernel_regularizer=regularizer, name="block{block}_conv{conv}"))\n')
            lines.append(f'    model.add(layers.BatchNormalization(name="block{block}_bn{conv}"))\n')
            lines.append(f'    model.add(layers.Activation("relu", name="block{block}_relu{conv}"))\n')
        lines.append(f'    model.add(layers.MaxPooling2D(pool_size=(2, 2), name="block{block}_pool"))\n')
        lines.append(f'    model.add(layers.Dropout(dropout / 2, name="block{block}_drop"))\n')
    lines.append(
        "    # Head\n"
        '    model.add(layers.Flatten(name="flatten"))\n'
        '    model.add(layers.Dense(512, activation="relu", kernel_regularizer=regularizer, name="fc1"))\n'
        '    model.add(layers.Dropout(dropout, name="fc1_drop"))\n'
        '    model.add(layers.Dense(256, activation="relu", name="fc2"))\n'
        '    model.add(layers.Dropout(dropout, name="fc2_drop"))\n'
        '    model.add(layers.Dense(num_classes, activation="softmax", name="predictions"))\n'
        "    return model\n\n\n"
    )
    return "".join(lines)


def _functional() -> str:
    lines = [FUNCTIONAL_HEAD]
    width = 1
    for stage, (mult, stride) in enumerate(((1, 1), (2, 2), (4, 2), (8, 2)), start=1):
        for block in (1, 2):
            name = f"stage{stage}_block{block}"
            strides = stride if block == 1 else 1
            project = block == 1 and (mult != width or strides != 1)
            lines.append(f"\n    # Stage {stage}, block {block}" + (" (projection shortcut)" if project else "") + "\n")
            lines.append("    shortcut = x\n")
            lines.append(f'    x = layers.Conv2D(width * {mult}, 3, strides={strides}, padding="same", use_bias=False, '
                         f'name="{name}_conv1")(x)\n')
            lines.append(f'    x = layers.BatchNormalization(name="{name}_bn1")(x)\n')
            lines.append(f'    x = layers.Activation("relu", name="{name}_relu1")(x)\n')
            lines.append(f'    x = layers.Conv2D(width * {mult}, 3, padding="same", use_bias=False, '
                         f'name="{name}_conv2")(x)\n')
            lines.append(f'    x = layers.BatchNormalization(name="{name}_bn2")(x)\n')
            if project:
                lines.append(f'    shortcut = layers.Conv2D(width * {mult}, 1, strides={strides}, use_bias=False, '
                             f'name="{name}_proj")(shortcut)\n')
                lines.append(f'    shortcut = layers.BatchNormalization(name="{name}_proj_bn")(shortcut)\n')
            lines.append(f'    x = layers.Add(name="{name}_add")([x, shortcut])\n')
            lines.append(f'    x = layers.Activation("relu", name="{name}_out")(x)\n')
            width = mult
    lines.append(
        "\n    # Head: pooled image features next to the tabular features\n"
        '    x = layers.GlobalAveragePooling2D(name="pool")(x)\n'
        '    t = layers.Dense(64, activation="relu", name="tabular_fc1")(tabular)\n'
        '    t = layers.BatchNormalization(name="tabular_bn")(t)\n'
        '    t = layers.Dense(32, activation="relu", name="tabular_fc2")(t)\n'
        '    x = layers.Concatenate(name="merge")([x, t])\n'
        '    x = layers.Dense(128, activation="relu", name="head_fc1")(x)\n'
        '    x = layers.Dropout(0.2, name="head_drop")(x)\n'
        '    x = layers.Dense(64, activation="relu", name="head_fc2")(x)\n'
        '    outputs = layers.Dense(num_outputs, name="regression")(x)\n'
        '    return keras.Model(inputs=[image, tabular], outputs=outputs, name="resnet_regressor")\n\n\n'
    )
    return "".join(lines)


_TORCH_CHANNELS = ((3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
                   (256, 256), (256, 256))


def _torch() -> str:
    init = [TORCH_HEAD]
    forward = ["\n    def forward(self, x):\n"]
    for i, (cin, cout) in enumerate(_TORCH_CHANNELS, start=1):
        init.append(f"        self.conv{i} = nn.Conv2d({cin}, {cout}, kernel_size=3, padding=1, bias=False)\n")
        init.append(f"        self.bn{i} = nn.BatchNorm2d({cout})\n")
        forward.append(f"        x = F.relu(self.bn{i}(self.conv{i}(x)))\n")
        if i % 2 == 0:
            stage = i // 2
            init.append(f"        self.pool{stage} = nn.MaxPool2d(2)  # stage {stage}\n")
            forward.append(f"        x = self.pool{stage}(x)\n")
    # five poolings: 64 -> 2
    init.append(
        "        self.dropout = nn.Dropout(dropout)\n"
        "        self.fc1 = nn.Linear(256 * 2 * 2, 512)\n"
        "        self.fc2 = nn.Linear(512, 256)\n"
        "        self.fc3 = nn.Linear(256, num_classes)\n"
    )
    forward.append(
        "        x = torch.flatten(x, 1)\n"
        "        x = self.dropout(F.relu(self.fc1(x)))\n"
        "        x = self.dropout(F.relu(self.fc2(x)))\n"
        "        return self.fc3(x)\n\n\n"
    )
    return "".join(init) + "".join(forward)


def _pad_function(i: int) -> str:
    """A small reporting helper (9 lines with its spacing), different for each i."""
    name = ("loss", "accuracy", "top5", "macro_f1", "lr", "grad_norm", "throughput")[i % 7]
    return (
        f"def summarize_{name}_{i}(history, window={3 + i % 5}):\n"
        f'    """Mean and spread of the last `window` values of {name!r} in a history dict."""\n'
        f'    values = [float(v) for v in history.get("{name}", [])][-window:]\n'
        "    if not values:\n"
        "        return None\n"
        "    mean = sum(values) / len(values)\n"
        "    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))\n"
        f'    return {{"metric": "{name}", "mean": mean, "std": spread, "n": len(values)}}\n\n\n'
    )


def big_model_file(lines: int = 1000) -> str:
    """The training script, padded with reporting helpers to about `lines` lines (never fewer than it needs)."""
    body = HEADER + _keras_sequential() + _functional() + _torch() + TRAINING
    text = body + PAD_HEAD
    i = 0
    while text.count("\n") + FOOTER.count("\n") + _pad_function(i).count("\n") <= lines:
        text += _pad_function(i)
        i += 1
    return text + FOOTER


if __name__ == "__main__":
    import sys

    sys.stdout.write(big_model_file(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
