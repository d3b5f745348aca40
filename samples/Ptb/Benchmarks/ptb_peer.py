"""PyTorch peer of `ptb bench`: the same model, training step and measurements, for a side-by-side report.

Same model (embedding -> dropout -> LSTM -> dropout -> linear), same TensorFlow-style initialisation, same batch
layout (ptb_producer), same cost (cross-entropy summed over time, averaged over the batch), gradient clipping by
global norm and plain SGD. Prints one JSON object on standard output. Run by `ptb bench`; not a test.
"""
import argparse, collections, json, math, os, resource, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class PtbModel(nn.Module):
    def __init__(self, vocab, hidden, layers, keep_prob, init_scale):
        super().__init__()
        drop = 1.0 - keep_prob
        self.embedding = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=drop if layers > 1 else 0.0)
        self.drop = nn.Dropout(drop)
        self.softmax = nn.Linear(hidden, vocab)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.startswith("lstm.") and ".bias_" in name:
                    p.zero_()
                else:
                    p.uniform_(-init_scale, init_scale)

    def forward(self, x, state):
        out, state = self.lstm(self.drop(self.embedding(x)), state)
        return self.softmax(self.drop(out)), state


def read_words(path):
    with open(path, encoding="utf-8") as f:
        return f.read().replace("\n", " <eos> ").split()


def load(directory):
    train = read_words(os.path.join(directory, "ptb.train.txt"))
    counts = collections.Counter(train)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    ids = {w: i for i, w in enumerate(words)}
    def to_ids(name):
        return [ids.get(w, ids.get("<unk>")) for w in read_words(os.path.join(directory, name))]
    return len(words), [ids[w] for w in train], to_ids("ptb.valid.txt"), to_ids("ptb.test.txt")


def windows(ids, batch, steps):
    data = torch.tensor(ids, dtype=torch.int64)
    batch_len = len(ids) // batch
    data = data[: batch * batch_len].view(batch, batch_len)
    for i in range((batch_len - 1) // steps):
        yield data[:, i * steps:(i + 1) * steps], data[:, i * steps + 1:(i + 1) * steps + 1]


def stream_windows(ids, steps):
    data = torch.tensor(ids, dtype=torch.int64).view(1, -1)
    for start in range(0, len(ids) - 1, steps):
        end = min(start + steps, len(ids) - 1)
        yield data[:, start:end], data[:, start + 1:end + 1]


def zero_state(cfg, batch):
    shape = (cfg["layers"], batch, cfg["hidden"])
    return torch.zeros(shape), torch.zeros(shape)


def train_pass(model, cfg, ids, lr):
    model.train()
    params = list(model.parameters())
    state = zero_state(cfg, cfg["batch"])
    start, words = time.perf_counter(), 0
    for x, y in windows(ids, cfg["batch"], cfg["steps"]):
        state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        cost = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum") / cfg["batch"]
        model.zero_grad()
        cost.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg["max_grad_norm"])
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        cost.item()
        words += x.numel()
    return words / (time.perf_counter() - start)


@torch.no_grad()
def evaluate(model, cfg, ids, batch):
    model.eval()
    state = zero_state(cfg, batch)
    source = stream_windows(ids, cfg["steps"]) if batch == 1 else windows(ids, batch, cfg["steps"])
    start, words, cost = time.perf_counter(), 0, 0.0
    for x, y in source:
        logits, state = model(x, state)
        cost += (F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum") / batch).item()
        words += x.numel()
    seconds = time.perf_counter() - start
    return seconds, words / seconds


@torch.no_grad()
def generate_ms_per_word(model, cfg, words, seed):
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    state = zero_state(cfg, 1)
    x = torch.tensor([[0]])
    start = time.perf_counter()
    for _ in range(words):
        logits, state = model(x, state)
        probabilities = torch.softmax(logits[0, -1], dim=-1)
        x = torch.multinomial(probabilities, 1, generator=generator).view(1, 1)
        int(x)
    return (time.perf_counter() - start) * 1000 / words


def cut(ids, cfg, count):
    return ids[: cfg["batch"] * (count * cfg["steps"] + 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--config", required=True, help="JSON of the benchmark plan written by ptb bench")
    args = parser.parse_args()
    plan = json.loads(args.config)
    torch.set_num_threads(plan["threads"])
    reps = plan["repetitions"]
    result = {"torch_version": torch.__version__, "threads": torch.get_num_threads()}
    result["blas_build"] = torch.__config__.show()

    start = time.perf_counter()
    vocab, train, valid, test = load(args.data)
    result["reader_seconds"] = time.perf_counter() - start

    def model_for(cfg):
        torch.manual_seed(1)
        return PtbModel(vocab, cfg["hidden"], cfg["layers"], cfg["keep_prob"], cfg["init_scale"])

    def training(cfg, count, warm_up):
        model = model_for(cfg)
        train_pass(model, cfg, cut(train, cfg, warm_up), cfg["lr"])
        return statistics.median(train_pass(model, cfg, cut(train, cfg, count), cfg["lr"]) for _ in range(reps))

    result["training"] = {name: training(cfg, plan["windows"][name], plan["warm_up_windows"][name]) for name, cfg in plan["configs"].items()}
    small = plan["configs"]["small"]
    model = model_for(small)
    for name, ids, batch in (("valid", valid, small["batch"]), ("test", test, 1)):
        evaluate(model, small, ids[:2000], batch)
        passes = [evaluate(model, small, ids, batch) for _ in range(reps)]
        result["eval_" + name] = {"seconds": statistics.median(p[0] for p in passes), "words_per_second": statistics.median(p[1] for p in passes)}
    generate_ms_per_word(model, small, 20, 1)
    result["generation_ms_per_word"] = statistics.median(generate_ms_per_word(model, small, plan["generation_words"], 1) for _ in range(reps))

    n = plan["matmul_size"]
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    times = []
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    result["matmul_gflops"] = 2 * n ** 3 / statistics.median(times) / 1e9
    # Which BLAS really ran: the shared objects mapped into this process after the product.
    with open("/proc/self/maps") as maps:
        result["blas_loaded"] = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})

    result["scaling"] = {}
    for key, cfg in plan["scaling"].items():
        result["scaling"][key] = training(cfg, plan["scaling_windows"], plan["warm_up_windows"]["scaling"])
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
