"""CLIP tokenizer fixtures: the bundled vocabulary, tokenizer folders in the layouts found in the wild, and
a parity corpus with the ids transformers' `CLIPTokenizer` gives, loaded and called as diffusers does.

Writes
- `Sources/Tokenizer/Resources/clip/{vocab.json,merges.txt}`: CLIP's vocabulary, derived from
  `bpe_simple_vocab_16e6.txt.gz` (shipped in the PyPI package `open-clip-torch`) exactly as CLIP's
  `simple_tokenizer.py` does; byte-identical to the files published SD repos ship.
- `Sources/Tokenizer/Resources/clip/{sd1,sd2}/`: the `tokenizer_config.json` + `special_tokens_map.json`
  of the published SD 1.x / SD 2.x repos (SD 2.x pads with `!`), used by `CLIPTokenizer.bundled`.
- `tokenizer/sd1`, `tokenizer/sd2`: published layouts (vocab.json and merges.txt are symbolic links to the
  bundled files, so the 1.4 MB vocabulary is committed once).
- `tokenizer/sd2-added-tokens-decoder`: a published layout as transformers 4.34+ saved it
  (`added_tokens_decoder` in tokenizer_config.json, which makes transformers ignore special_tokens_map.json).
- `tokenizer/sd1-split-special-tokens`: the SD 1.x layout with `split_special_tokens: true`.
- `tokenizer/sd1-extra-special-tokens`: the SD 1.x layout with a model-specific `image_token` and
  `additional_special_tokens`.
- `tokenizer/sd1-transformers5`: what transformers 5 `save_pretrained` writes for the SD 1.x tokenizer
  (tokenizer.json + tokenizer_config.json). tokenizer.json is re-serialised without indentation (3.6 MB ->
  1.9 MB); its content is unchanged.
- `tokenizer/corpus.json`: the parity corpus: prompts, and for each of the SD 1.x and SD 2.x conventions the
  77 ids diffusers feeds the text encoder and the untruncated ids without BOS/EOS.
- `tokenizer/variants.json`: ids of the special-token prompts for the two variant folders.
- `tokenizer/unicode.json`: the character classes (onig `\\s`, `\\p{L}`, `\\p{N}`), lowercase mappings,
  single-code-point NFC and NFD results and canonical combining classes of the `tokenizers` library, for
  every code point.
- `Sources/Tokenizer/CanonicalDecompositionData.swift`: the canonical decompositions the reference's NFC
  knows (Unicode 9.0: its `unicode-normalization-alignments` tables), with composition exclusions.

Everything is checked before it is written: both layouts load to the same ids in transformers.
"""
import gzip
import json
import os
import pathlib
import random
import shutil
import unicodedata

from tokenizers import Regex, normalizers
from transformers import CLIPTokenizer

NAME = "tokenizer"
MAX_LENGTH = 77


# -- vocabulary ----------------------------------------------------------------------------------------------

def bytes_to_unicode():
    """CLIP's reversible byte -> printable character table (simple_tokenizer.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_bpe_path() -> pathlib.Path:
    import open_clip
    return pathlib.Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"


def derive_vocabulary():
    """vocab (token -> id) and merges, as simple_tokenizer.py builds them: 256 bytes, 256 bytes + </w>,
    the first 48,894 merges, then <|startoftext|> and <|endoftext|> (49,408 entries)."""
    lines = gzip.open(clip_bpe_path()).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == len(set(vocab)) == 49408
    return {token: index for index, token in enumerate(vocab)}, merges


def write_vocabulary(folder: pathlib.Path):
    vocab, merges = derive_vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.writelines(f"{a} {b}\n" for a, b in merges)


# -- tokenizer folders ---------------------------------------------------------------------------------------

def added_token(content, typed):
    token = {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    return {"__type": "AddedToken", **token} if typed else token


def published_configs(pad: str):
    """tokenizer_config.json and special_tokens_map.json as the published SD 1.5 / SD 2.1 repos ship them:
    special tokens as AddedToken objects, the pad token as a plain string (SD 2.x overrides it with `!` in
    special_tokens_map.json)."""
    config = {
        "add_prefix_space": False,
        "bos_token": added_token("<|startoftext|>", True),
        "do_lower_case": True,
        "eos_token": added_token("<|endoftext|>", True),
        "errors": "replace",
        "model_max_length": MAX_LENGTH,
        "name_or_path": "openai/clip-vit-large-patch14",
        "pad_token": "<|endoftext|>",
        "special_tokens_map_file": "./special_tokens_map.json",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": added_token("<|endoftext|>", True),
    }
    special_tokens_map = {
        "bos_token": added_token("<|startoftext|>", False),
        "eos_token": added_token("<|endoftext|>", False),
        "pad_token": pad,
        "unk_token": added_token("<|endoftext|>", False),
    }
    return config, special_tokens_map


def write_json(path: pathlib.Path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def link_vocabulary(folder: pathlib.Path, bundled: pathlib.Path):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        link = folder / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.path.relpath(bundled / name, folder))


def write_published(folder: pathlib.Path, bundled: pathlib.Path, config, special_tokens_map):
    if folder.exists():
        shutil.rmtree(folder)
    link_vocabulary(folder, bundled)
    write_json(folder / "tokenizer_config.json", config)
    if special_tokens_map is not None:
        write_json(folder / "special_tokens_map.json", special_tokens_map)


def write_transformers5(source: pathlib.Path, folder: pathlib.Path):
    if folder.exists():
        shutil.rmtree(folder)
    CLIPTokenizer.from_pretrained(source).save_pretrained(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["tokenizer.json", "tokenizer_config.json"]
    path = folder / "tokenizer.json"
    content = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# -- corpus --------------------------------------------------------------------------------------------------

PLAIN = [
    "a photo of a cat",
    "A photograph of an astronaut riding a horse",
    "a beautiful landscape painting of mountains at sunset, oil on canvas",
    "The quick brown fox jumps over the lazy dog.",
    "portrait of a young woman with red hair, soft lighting, 85mm lens",
    "an isometric view of a tiny city on a floating island",
    "cyberpunk street at night with neon signs and rain reflections",
    "a bowl of fruit on a wooden table, still life",
    "Two dogs playing in the snow",
    "a close-up of a hummingbird drinking nectar from a flower",
    "a watercolor sketch of Paris in spring",
    "futuristic spaceship interior, cinematic lighting, volumetric fog",
    "a knight in shining armor standing on a cliff",
    "children's book illustration of a friendly dragon",
    "minimalist logo of a mountain and a river",
    "an old lighthouse during a storm at sea",
    "macro shot of a dew drop on a spider web",
    "A Victorian mansion covered in ivy",
    "a robot reading a newspaper in a cafe",
    "the milky way over a desert canyon, long exposure",
    "steampunk owl with brass gears",
    "aerial photograph of a coral reef",
    "a cozy cabin in the woods with smoke rising from the chimney",
    "HDR photo of New York City skyline",
    "an anime girl with blue hair and a school uniform",
    "low poly render of a fox",
    "studio ghibli style countryside with a red bicycle",
    "a pixel art castle with a moat",
    "black and white photo of an elderly fisherman",
    "a glass of orange juice with ice cubes",
    "Mount Fuji reflected in a calm lake",
    "a medieval marketplace bustling with merchants",
    "hyperrealistic painting of a tiger in the jungle",
    "a teddy bear on a skateboard in times square",
    "concept art of an alien planet with two suns",
    "Supercalifragilisticexpialidocious",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "photo", "cat", "A", "a", "I", "x y z", "ok",
    "unbelievable unforgettable uncharacteristically",
    "CamelCaseWordsTogether and snake_case_words and kebab-case-words",
    "WWW.EXAMPLE.COM/path?query=1&other=two",
    "email me at someone@example.com",
    "#hashtag @mention $dollar %percent ^caret",
]

TAGS = [
    "masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile",
    "(masterpiece:1.2), (best quality:1.3), ultra-detailed, (illustration:1.1)",
    "((detailed face)), [[lowres]], {blue eyes}, (((sharp focus)))",
    "by greg rutkowski, artgerm, alphonse mucha, trending on artstation, 8k uhd",
    "(worst quality, low quality:1.4), (bad anatomy), extra fingers, watermark, signature",
    "landscape, <lora:detail_tweaker:0.8>, <hypernet:style:1>, embedding:easynegative",
    "[cat:dog:0.5], [red|blue] hair, (forest:0.7) AND (desert:0.3)",
    "photo of a man, (beard:1.15), (freckles:0.9), dslr, soft box lighting, f/1.4",
    "cinematic still, (film grain:1.2), kodak portra 400, 35mm",
    "1boy, male focus, armor, sword, fantasy, (glowing eyes:1.3)",
    "score_9, score_8_up, score_7_up, source_anime, rating_safe",
    "(((masterpiece))),(((best quality))),((ultra-detailed)),(illustration)",
    "a cat\\(meme\\) with \\[brackets\\] escaped",
    "BREAK hair ornament BREAK background, city lights",
    "oil painting::2 watercolor::-0.5 --ar 16:9 --v 5 --q 2",
    "negative: blurry, jpeg artifacts, cropped, out of frame, duplicate",
    "(cute:1.0)(small:0.9)(fluffy:1.25)",
    "tag1,tag2,tag3,tag4,tag5",
    "girl, (smile:1.1) , (open mouth:0.8)  ,  outdoors ,sky",
    "concept art, by Hayao Miyazaki and Makoto Shinkai, (anime style:1.4)",
]

PUNCTUATION = [
    "!", "!!", "!!!", "!!!!!!!!", "?", "??!!", "?!?!?!", "...", "…", "....", "---", "—", "– - —",
    "***", "~~~", ">>> <<<", "@#$%^&*()", "[]{}()<>", "|||", "\\\\//", "''", "\"\"", "``", "''s", "'''",
    ":)", ";-)", ":-D", "<3", "^_^", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "»«„“”‘’", "¡hola! ¿qué?", "a.b.c.d",
    "hello,world", "end.", "wait... what?!", "!a!b!c!", "¶§©®™°±×÷",
]

NUMBERS = [
    "3.14159", "1,000,000", "1e-5", "0.5x", "24mm f/1.8", "1920x1080", "2024-01-01", "12:30pm", "v1.5",
    "sd-2.1-768", "100%", "$19.99", "-42", "+7", "007", "0", "1234567890", "3rd 2nd 1st 4th",
    "(word:1.25)", "0.000001", "99 bottles", "4k 8k 16k", "x2 x4", "1/2 cup", "π≈3.14", "½ ¾ ⅓",
    "x² y³ z⁴", "Ⅻ ⅻ Ⅳ", "①②③", "٣٤٥ ١٢", "१२३", "１２３", "𝟙𝟚𝟛",
]

CONTRACTIONS = [
    "it's", "don't", "they're", "we've", "I'm", "you'll", "he'd", "IT'S", "DON'T", "They'Re", "WE'VE",
    "I'M", "YOU'LL", "HE'D", "rock'n'roll", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'", "y'all",
    "o'clock", "'tis", "can't won't shouldn't", "it’s (curly)", "the dog's bone", "James's", "'sup",
    "l'amour", "rock 'n' roll", "'hello'", "isn't it's", "''ll", "'S'T'RE", "don''t",
]

ACCENTED = [
    "café crème brûlée", "naïve façade", "Ångström", "cafe\u0301", "e\u0301le\u0300ve", "İstanbul", "straße",
    "STRASSE", "Straße ẞ", "ǅemal Ǆ ǆ", "ﬁne ﬂour ﬀ", "ΣΑΣ σας", "ΌΣΟΣ", "Ὀδυσσεύς", "Ærøskøbing",
    "Łódź", "Dvořák", "Škoda", "smörgåsbord", "jalapeño", "Zürich", "São Paulo", "Kraków", "Đorđe",
    "\u212b", "\u2126", "\u212a", "a\u0328\u0301", "a\u0301\u0328", "o\u0308\u0304", "\u0344", "\u0958",
    "\u1e9b\u0323", "q\u0301\u0f73", "o\u0f73\u0300", "\u1ff8\u082d\u0f73", "q\u0300\u0f81", "a\u0301\u0f75",
    "e\u0301\u1df9\u0316", "e\u0827\U00010f50\U0001d16e", "q\u0301\u11d42", "\u0915\u093c\u0947", "Ǻ", "ﬆ", "ŉ", "İI ıi", "ǈ ǋ ǲ", "ᾈ ᾼ ῌ", "ÀÉÎÕÜ", "MÜNCHEN", "Ωμέγα",
]

CJK = [
    "一只可爱的猫", "山水画，高清，细节", "東京の夜景", "ひらがなとカタカナ", "ｶﾀｶﾅ", "ｈｅｌｌｏ ＷＯＲＬＤ",
    "한국어 프롬프트", "\u1100\u1161\u11a8", "\uac38\u11c2\uac11", "\uac00\u11a8", "\uac01\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "中文English混合",
    "猫 cat ねこ 고양이", "「引用」『二重』", "。、！？", "龍", "𠀀𠀁", "〇一二三", "漢字かな交じり文",
    "ｱｲｳｴｵ", "㈱ ㍿ ㌀", "中\u3000文", "日本語の文章です。とても長い文章になるかもしれません。",
]

SCRIPTS = [
    "Привет, мир", "КРАСНАЯ ПЛОЩАДЬ", "ёжик в тумане", "Ѐѝ", "Здравствуйте!", "Україна", "Ђорђе",
    "مرحبا بالعالم", "الْعَرَبِيَّة", "قطة جميلة", "שלום עולם", "עִבְרִית", "नमस्ते दुनिया", "हिन्दी",
    "สวัสดีครับ", "ภาษาไทย", "Γειά σου κόσμε", "ქართული", "Հայերեն", "ಕನ್ನಡ", "தமிழ்", "ᚠᚢᚦᚨᚱᚲ",
    "𐐀𐐁 Deseret", "ⰀⰁ", "Ⓐⓑ", "ᏣᎳᎩ", "ꓐꓑ", "ꙮ", "ߊ߬ߟߊ", "አማርኛ",
]

EMOJI = [
    "🐱", "😀😃😄", "a 🐶 and a 🐱", "👨‍👩‍👧‍👦", "👩🏽‍🚀", "🏳️‍🌈", "🏴‍☠️", "👍🏽👍🏿", "🇯🇵🇺🇸",
    "1️⃣ #️⃣", "❤️ ♥ ❤", "🧑‍🤝‍🧑", "🤷‍♂️", "✨sparkles✨", "🔥🔥🔥", "emoji🐱in🐶words", "☕️",
    "🫠🫶", "👁️‍🗨️", "🧔🏻‍♀️", "🏊\u200d♀", "\u200d", "\u200c", "🎨 art, 🖼️ frame",
]

HTML = [
    "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "&#39;quoted&#39;", "&nbsp;", "&quot;hi&quot;", "Tom &amp; Jerry",
    "&amp;amp;", "&#x1F600;", "&copy; 2024", "<b>bold</b>", "<div class=\"x\">", "a &lt; b &gt; c",
    "&unknown;", "& amp ;", "&&&&",
]

WHITESPACE = [
    "a\tb", "a\nb", "a\r\nb", "a\u00a0b", "a\u2003b", "a\u3000b", "a\u200bb", "a\u180eb", "a\u0085b",
    "a\u2028b", "a\u2029b", "a\u202fb", "a\u205fb", "a\u1680b", "\ta photo\tof a cat\n", "  leading",
    "trailing  ", "  both  ", "many     spaces     between", "\n\n\nnewlines\n\n", "mixed \t\n\r\u00a0 ws",
    "a\u000bb\u000cc", "a\u001cb\u001dc\u001ed\u001ff", "line1\nline2\nline3", "\u00a0\u00a0nbsp",
]

CONTROL = [
    "a\u0000b", "bell\u0007", "\u001b[31mred\u001b[0m", "del\u007f", "\u202eright to left", "\ufeffbom",
    "\u0001\u0002\u0003", "soft\u00adhyphen", "zero\u200dwidth\u200cjoin", "\u2060word\u2060joiner",
    "\u0080\u0081\u009f", "a\u0308", "\u0301leading combining", "tag\U000e0041\U000e0042", "\ufffd",
    "\ue000 private use", "\U000f0000", "\ufdd0", "\uffff", "variation\ufe0f selector",
]

SPECIAL = [
    "<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|EndOfText|>", "<|STARTOFTEXT|>",
    "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|startoftext|>hello<|endoftext|>",
    "< |endoftext| >", "<|endoftext", "endoftext|>", "!<|endoftext|>", "<|endoftext|>!",
    "  <|endoftext|>  ", "<|startoftext |>", "<||>", "<|>", "<|endoftext|>world", "hello<|startoftext|>",
    "<|endoftext|> <|startoftext|>", "<|ENDOFTEXT|>x<|endoftext|>", "x!y", "! ! !", "hello!", "!hello",
    "!!<|endoftext|>!!", "<|endoftext|>\u0301", "e<|endoftext|>\u0301", "<|endoftext|>'s", "İ<|endoftext|>",
    "startoftext", "endoftext", "|>", "<|", "<|endoftext|" + ">" * 3, "!!!!", "a!!!b", "<|eNdOfTeXt|>!!",
]

EMPTY = ["", " ", "   ", "\t", "\n", "\t\n\r ", "\u00a0", "\u3000", "\u2003\u2003", "\r\n"]

LONG_BASE = [
    "a highly detailed photograph of a majestic lion resting under an acacia tree in the golden savanna",
    "masterpiece, best quality, (ultra detailed:1.2), 1girl, long flowing silver hair, ornate kimono",
    "一只在月光下的森林里奔跑的狐狸，周围有萤火虫，电影级光照，超高清细节",
    "!!! ??? ... --- *** ~~~ ",
    "Привет мир это очень длинный запрос для проверки ",
    "🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮🐷🐸🐵",
]


def long_prompts(rng):
    prompts = []
    for base in LONG_BASE:
        for repeats in (3, 6):
            prompts.append(", ".join([base] * repeats))
    prompts.append("a" * 500)
    prompts.append("ab" * 300)
    prompts.append(" ".join(str(i) for i in range(200)))
    prompts.append("word " * 80)
    prompts.append("word " * 74 + "end")
    prompts.append("word " * 75)
    prompts.append("word " * 76)
    prompts.append("word " * 150)
    prompts.append("<|endoftext|> " * 100)
    prompts.append("!" * 200)
    prompts.append(" ".join(rng.choice(PLAIN) for _ in range(25)))
    prompts.append(", ".join(rng.choice(TAGS) for _ in range(12)))
    return prompts


FUZZ_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" \t\n\u00a0\u3000.,;:!?'\"()[]{}<>|/\\-_=+*&^%$#@~`")
    + list("éèêëÉÈçÇñÑüÜößẞİıŁłÅåØøÆæœŒﬁﬂΣσςΩωАаЯяЁёЖж")
    + list("\u0300\u0301\u0302\u0303\u0308\u0323\u0327\u0328\u0331\u034f\u0345")
    + list("猫犬東京日本語ひらがなカタカナｶﾀｶﾅ한국어\u1100\u1161\u11a8")
    + list("مرحباשלוםनमस्तेสวัสดี")
    + list("٠١٢٣४५६７８９½²³Ⅻ①")
    + ["🐱", "👍", "🏽", "\u200d", "\ufe0f", "🇯", "🇵", "❤", "👨", "👩", "👧"]
    + ["<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "'s", "'t", "'re", "'LL", "&amp;", "!!"]
    + ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\u200b", "\u2028", "\ufeff", "\u00ad", "\u180e"]
    + ["\u212b", "\u2126", "\u212a", "\u0344", "\u0958", "\u1e9b", "\u0f73", "\u0f71", "\u0f72", "\u0345", "\u1df9",
       "\uac38", "\u11c2", "\u0316"]
)


def fuzz_prompts(rng, count):
    prompts = []
    for _ in range(count):
        length = rng.choice([1, 2, 3, 5, 8, 13, 21, 40, 90])
        prompts.append("".join(rng.choice(FUZZ_ALPHABET) for _ in range(length)))
    return prompts


def combined_prompts(rng, count):
    pools = [PLAIN, TAGS, PUNCTUATION, NUMBERS, CONTRACTIONS, ACCENTED, CJK, SCRIPTS, EMOJI, HTML, WHITESPACE,
             CONTROL, SPECIAL]
    prompts = []
    for _ in range(count):
        parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 4))]
        separator = rng.choice([" ", ", ", "", "\n", " | "])
        prompt = separator.join(parts)
        if rng.random() < 0.3:
            prompt = prompt.upper()
        prompts.append(prompt)
    return prompts


def build_corpus():
    rng = random.Random(20240601)
    prompts = (PLAIN + TAGS + PUNCTUATION + NUMBERS + CONTRACTIONS + ACCENTED + CJK + SCRIPTS + EMOJI + HTML
               + WHITESPACE + CONTROL + SPECIAL + EMPTY + long_prompts(rng)
               + [p.upper() for p in PLAIN[:20] + ACCENTED + SCRIPTS[:10]]
               + combined_prompts(rng, 150) + fuzz_prompts(rng, 150))
    unique = []
    seen = set()
    for p in prompts:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    assert len(unique) >= 500, len(unique)
    return unique


# -- reference ids -------------------------------------------------------------------------------------------

def padded_ids(tokenizer, prompts):
    """Exactly diffusers' call (StableDiffusionPipeline.encode_prompt)."""
    batch = tokenizer(prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                      return_tensors="pt").input_ids
    return batch.tolist()


def content_ids(tokenizer, prompts):
    return [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]


def canonical_decompositions():
    """(code point, single-level canonical decomposition, excluded from composition) for every code point
    the reference's NFD decomposes (Hangul syllables are algorithmic and left out). The mapping comes from
    Python's unicodedata (stable for characters the reference knows); exclusion means NFC does not give
    the code point back."""
    nfd, nfc = normalizers.NFD(), normalizers.NFC()
    entries = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF or 0xAC00 <= c <= 0xD7A3:
            continue
        if nfd.normalize_str(chr(c)) == chr(c):
            continue
        mapping = unicodedata.decomposition(chr(c))
        assert mapping and not mapping.startswith("<"), hex(c)
        entries.append((c, [int(x, 16) for x in mapping.split()], nfc.normalize_str(chr(c)) != chr(c)))
    return entries


def write_decomposition_source(path: pathlib.Path, entries):
    items = [("!" if excluded else "") + f"{c:X}:" + " ".join(f"{p:X}" for p in parts) for c, parts, excluded in entries]
    lines, line = [], ""
    for item in items:
        if len(line) + len(item) + 1 > 110:
            lines.append(line)
            line = ""
        line += item + ";"
    lines.append(line)
    body = "\n".join("        " + l for l in lines)
    path.write_text(f"""// Generated by Tests/Fixtures/generators/tokenizer.py from the `tokenizers` library's NFD/NFC and Python's
// unicodedata. Do not edit.

/// The canonical decompositions known to the reference's NFC (Unicode 9.0), as `CODE:MAPPING;` in
/// hexadecimal, single level; a leading `!` marks a code point that NFC never composes (singletons,
/// non-starter decompositions, composition exclusions). Hangul syllables are algorithmic and not listed.
enum CanonicalDecompositionData {{
    static let entries = \"\"\"
{body}
        \"\"\"
}}
""", encoding="utf-8")


def unicode_tables():
    """What the `tokenizers` library does per code point: onig classes (used by the Replace normalizer and
    the Split pre-tokenizer), Rust's char::to_lowercase (Lowercase normalizer), NFC of each code point."""
    marker = "\ue000"  # private use: in none of the classes, so it marks matches unambiguously
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chr(c) for c in points)
    classes = {}
    for name, pattern in (("space", r"\s"), ("letter", r"\p{L}"), ("number", r"\p{N}")):
        out = normalizers.Replace(Regex(pattern), marker).normalize_str(text)
        assert len(out) == len(text)
        members = [c for c, o in zip(points, out) if o == marker and c != 0xE000]
        ranges = []
        for c in members:
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        classes[name] = ranges
    lowercase, nfc = normalizers.Lowercase(), normalizers.NFC()
    lower_map, nfc_map = {}, {}
    for c in points:
        lowered = lowercase.normalize_str(chr(c))
        if lowered != chr(c):
            lower_map[c] = [ord(x) for x in lowered]
        composed = nfc.normalize_str(chr(c))
        if composed != chr(c):
            nfc_map[c] = [ord(x) for x in composed]
    nfd = normalizers.NFD()
    nfd_map = {}
    for c in points:
        if 0xAC00 <= c <= 0xD7A3:
            continue  # algorithmic, checked by the corpus
        decomposed = nfd.normalize_str(chr(c))
        if decomposed != chr(c):
            nfd_map[c] = [ord(x) for x in decomposed]
    # The combining class the reference's NFC uses: a mark it knows is reordered past U+0F71 (class 129)
    # or U+0345 (class 240); one it does not know is a starter. Marks that decompose are left out.
    combining = []
    for c in points:
        cc = unicodedata.combining(chr(c))
        if not cc or c in nfd_map:
            continue
        if cc > 129:
            known = nfc.normalize_str("q" + chr(c) + "\u0f71") == "q\u0f71" + chr(c)
        else:
            known = nfc.normalize_str("q\u0345" + chr(c)) == "q" + chr(c) + "\u0345"
        if known:
            combining.append([c, cc])
    return {"classes": classes, "lowercase": [[c, m] for c, m in lower_map.items()],
            "nfc": [[c, m] for c, m in nfc_map.items()], "nfd": [[c, m] for c, m in nfd_map.items()],
            "combining_class": combining}


def generate(root: pathlib.Path):
    out = root / NAME
    out.mkdir(parents=True, exist_ok=True)
    bundled = root.parent.parent / "Sources" / "Tokenizer" / "Resources" / "clip"
    write_vocabulary(bundled)
    write_decomposition_source(bundled.parent.parent / "CanonicalDecompositionData.swift", canonical_decompositions())
    sd1_config, sd1_map = published_configs("<|endoftext|>")
    sd2_config, sd2_map = published_configs("!")
    for name, config, special_tokens_map in (("sd1", sd1_config, sd1_map), ("sd2", sd2_config, sd2_map)):
        write_json(bundled / name / "tokenizer_config.json", config)
        write_json(bundled / name / "special_tokens_map.json", special_tokens_map)
        write_published(out / name, bundled, config, special_tokens_map)

    # transformers >= 4.34 wrote `added_tokens_decoder`; with it, special_tokens_map.json is ignored (the one
    # written here would make `<|endoftext|>` the pad token if it were read).
    def decoder_token(content, normalized):
        return {"content": content, "lstrip": False, "normalized": normalized, "rstrip": False,
                "single_word": False, "special": True}
    decoder_config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {"0": decoder_token("!", False), "49406": decoder_token("<|startoftext|>", True),
                                 "49407": decoder_token("<|endoftext|>", False)},
        "bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": True, "do_lower_case": True,
        "eos_token": "<|endoftext|>", "errors": "replace", "model_max_length": MAX_LENGTH, "pad_token": "!",
        "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>",
    }
    write_published(out / "sd2-added-tokens-decoder", bundled, decoder_config,
                    {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                     "unk_token": "<|endoftext|>"})
    write_published(out / "sd1-split-special-tokens", bundled, {**sd1_config, "split_special_tokens": True},
                    sd1_map)
    # Extra special tokens: a model-specific `*_token` key and additional_special_tokens, one of them new
    # to the vocabulary (gets id 49408) and one a vocabulary word ("cat" becomes a special token).
    write_published(out / "sd1-extra-special-tokens", bundled,
                    {**sd1_config, "image_token": "<img>", "additional_special_tokens": ["<x>", "cat"]}, sd1_map)
    write_transformers5(out / "sd1", out / "sd1-transformers5")

    prompts = build_corpus()
    sd1 = CLIPTokenizer.from_pretrained(out / "sd1")
    sd2 = CLIPTokenizer.from_pretrained(out / "sd2")
    assert sd1.model_max_length == sd2.model_max_length == MAX_LENGTH
    assert (sd1.pad_token_id, sd2.pad_token_id) == (49407, 0)
    corpus = {
        "prompts": prompts,
        "sd1": {"input_ids": padded_ids(sd1, prompts), "content_ids": content_ids(sd1, prompts)},
        "sd2": {"input_ids": padded_ids(sd2, prompts), "content_ids": content_ids(sd2, prompts)},
    }

    # Both layouts must give the same ids in transformers itself: a folder saved by transformers 5 is read
    # from tokenizer.json, a published one from vocab.json + merges.txt.
    sd1_v5 = CLIPTokenizer.from_pretrained(out / "sd1-transformers5")
    assert padded_ids(sd1_v5, prompts) == corpus["sd1"]["input_ids"], "SD 1.x layouts differ in transformers"
    scratch = out / "_scratch_sd2_transformers5"
    write_transformers5(out / "sd2", scratch)
    sd2_v5 = CLIPTokenizer.from_pretrained(scratch)
    assert padded_ids(sd2_v5, prompts) == corpus["sd2"]["input_ids"], "SD 2.x layouts differ in transformers"
    shutil.rmtree(scratch)

    with open(out / "corpus.json", "w", encoding="utf-8") as f:
        json.dump(corpus, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    variant_prompts = SPECIAL + EMPTY + PUNCTUATION[:6] + [
        "a photo of a cat", "word " * 80, "a <img> b <x> cat concatenate <IMG> CAT", "<x><img>cat<x>"]
    variants = {"prompts": variant_prompts}
    for name in ("sd2-added-tokens-decoder", "sd1-split-special-tokens", "sd1-extra-special-tokens"):
        tokenizer = CLIPTokenizer.from_pretrained(out / name)
        variants[name] = padded_ids(tokenizer, variant_prompts)
    with open(out / "variants.json", "w", encoding="utf-8") as f:
        json.dump(variants, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    with open(out / "unicode.json", "w", encoding="utf-8") as f:
        json.dump(unicode_tables(), f, separators=(",", ":"))
        f.write("\n")
