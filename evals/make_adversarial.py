"""Build evals/adversarial.jsonl: false and faithful one-sentence drafts over the gold sets' answer
sentences, to measure whether `qa.check.verify.verify` lets a subtly false claim through (issue 12).

Why this shape: a verifier is only as good as the hardest wrong draft it has seen, so each true answer
sentence of the gold sets is perturbed along one dimension at a time (a number, its scale, a unit, a
comparison, polarity, a name, a role, a date, a place, the source, an unstated detail), and each
faithful paraphrase changes only wording a careful reader would accept. The passages the verifier sees
are real chunks exactly as ingest stores them (qa.index.split with the embedder's tokenizer), so offsets and
sentence boundaries are the ones a real answer would be checked against.

Each line: {"id", "split" (dev|test, by a stable hash of the gold id), "label" (false|faithful), "type",
"question", "draft" (one sentence with [n] markers), "passages": [{"source" (relative to the repo root),
"start", "end", "sentences": [[start, end], ...] (absolute offsets, as stored)}], "supporting" (indices
of passages that state the draft: for faithful drafts; for a false draft only where the claim is true
and merely cited to the wrong passage), "stated_in" (false drafts: the passage holding the unperturbed
sentence, if present), "gold_id"}. Scoring is in qa/evaluation/adversarial.py.

Deterministic: run `.venv/bin/python evals/make_adversarial.py` (needs the embedder's tokenizer, not the
model); the test suite only reads the JSONL and the source files.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "evals" / "adversarial.jsonl"
GOLD = {
    f"{name}-{split}": (f"evals/{name}-{split}.jsonl", corpus)
    for name, corpus in (("seeds", "seeds"), ("pydoc", "evals/pydoc"))
    for split in ("dev", "test")
}

S0 = "seeds/000_a984c12c8d999f47.txt"
S1 = "seeds/001_b4cd203a8e781f12.txt"
S2 = "seeds/002_5e32222bc8aa342b.txt"
S3 = "seeds/003_31969dbd2734c992.txt"
S4 = "seeds/004_d1e3b79279d3dec7.txt"
HQ = "evals/pydoc/heapq.txt"
BI = "evals/pydoc/bisect.txt"
TW = "evals/pydoc/textwrap.txt"
JS = "evals/pydoc/json.txt"

# One item per answer sentence: (gold id, source, anchor text of the sentence, base claim, false
# perturbations, faithful rewrites). The base claim is the sentence shortened verbatim to the fact; a
# perturbation is (type, old, new) applied to the base once, or (type, None, full draft). Every
# perturbation changes exactly one thing the quote states (or adds one it does not).
ITEMS: list[tuple] = [
    ("trade-value", S1, "Annual trade between Russia and North Korea",
     "Annual trade between Russia and North Korea is worth only about $100 million",
     [("number-value", "$100 million", "$300 million"), ("number-value", "$100 million", "$150 million"),
      ("number-value", "$100 million", "$10 million"),
      ("number-scale", "million", "billion"), ("number-scale", "million", "thousand"), ("number-scale", "$100 million", "$1 billion"),
      ("number-scale", "million", "trillion"), ("number-scale", "$100 million", "$100,000"), ("number-scale", "$100 million", "$10 billion"),
      ("unit", "$100 million", "£100 million"), ("unit", "$100 million", "100 million yuan"), ("unit", "Annual trade", "Daily trade"),
      ("unit", "$100 million", "€100 million"), ("unit", "$100 million", "100 million roubles"),
      ("unit", "$100 million", "100 million tonnes"), ("unit", "Annual trade", "Monthly trade"), ("unit", "Annual trade", "Weekly trade"),
      ("comparative", "only about", "more than"), ("comparative", "only about", "at least"),
      ("negation-added", "is worth", "is not worth"),
      ("entity-swap", "between Russia and North Korea", "between China and North Korea"),
      ("place", "between Russia and North Korea", "between Russia and South Korea"),
      ("unstated-detail", "Annual trade", "Annual coal trade"),
      ("date", "Annual trade", "In 2013, annual trade")],
     [("verbatim-shortened", None, "Annual trade between Russia and North Korea is worth about $100 million"),
      ("synonyms", "is worth", "is valued at"), ("synonyms", "Annual trade", "Yearly trade"),
      ("reordered", None, "Trade between Russia and North Korea is worth only about $100 million a year"),
      ("reordered", None, "Between Russia and North Korea, annual trade is worth only about $100 million")]),
    ("trade-share", S1, "Annual trade between Russia and North Korea",
     "Trade between Russia and North Korea is less than 2% that of North Korea’s trade with China",
     [("number-value", "2%", "5%"), ("number-value", "2%", "12%"),
      ("number-scale", "2%", "20%"), ("number-scale", "2%", "0.2%"), ("number-scale", "2%", "200%"), ("number-scale", "2%", "0.02%"),
      ("unit", "less than 2% that of", "less than 2 tonnes, compared with"),
      ("unit", "less than 2% that of", "less than $2 million, compared with"),
      ("comparative", "less than", "more than"), ("comparative", "less than", "at least"),
      ("subject-object-swap", None, "Trade between China and North Korea is less than 2% that of North Korea’s trade with Russia"),
      ("negation-added", "is less than", "is not less than"),
      ("entity-swap", "trade with China", "trade with Russia"),
      ("unstated-detail", "Trade between", "Oil trade between")],
     [("verbatim-shortened", None, "Annual trade between Russia and North Korea is less than 2% of North Korea’s trade with China"),
      ("synonyms", "less than 2%", "under 2%"), ("synonyms", "2%", "two percent"),
      ("reordered", None, "North Korea’s trade with Russia is less than 2% of its trade with China")]),
    ("first-trip", S1, "Russia is much less important to North Korea than China",
     "Russia is much less important to North Korea than China, partly for economic reasons",
     [("comparative", "much less important", "much more important"), ("comparative", None, "Russia is as important to North Korea as China, partly for economic reasons"),
      ("subject-object-swap", None, "China is much less important to North Korea than Russia, partly for economic reasons"),
      ("negation-added", "is much less", "is not much less"),
      ("entity-swap", "than China", "than the U.N. Security Council"),
      ("unstated-detail", "partly for economic reasons", "partly for military reasons")],
     [("synonyms", "much less important", "far less important"), ("verbatim-shortened", ", partly for economic reasons", ""),
      ("reordered", None, "Partly for economic reasons, Russia is much less important to North Korea than China")]),
    ("inherit-year", S1, "As the international community tightened",
     "Kim made a surprise visit to China in March, his first foreign trip since taking power in 2011",
     [("date", "2011", "2012"), ("date", "in March", "in May"), ("date", "2011", "2001"),
      ("number-value", "his first foreign trip", "his third foreign trip"),
      ("place", "visit to China", "visit to Russia"), ("place", "visit to China", "visit to Japan"),
      ("negation-added", "made a surprise visit", "did not make a surprise visit"),
      ("unstated-detail", "made a surprise visit to China", "made a surprise visit to China by plane"),
      ("comparative", "since taking power", "before taking power")],
     [("verbatim-shortened", None, "Kim’s first foreign trip since taking power in 2011 was a surprise visit to China in March"),
      ("synonyms", "taking power", "coming to power"), ("synonyms", "made a surprise visit to", "unexpectedly visited"),
      ("reordered", None, "In March, Kim made a surprise visit to China, his first foreign trip since taking power in 2011")]),
    ("uncle-executed", S1, "These were badly strained in 2013",
     "Ties between North Korea and China were badly strained in 2013 after Kim had his uncle, Jang Song Thaek, executed",
     [("date", "2013", "2015"), ("date", "2013", "2011"),
      ("comparative", "after Kim", "before Kim"),
      ("entity-swap", "after Kim had", "after Putin had"),
      ("subject-object-swap", "after Kim had his uncle, Jang Song Thaek, executed", "after Jang Song Thaek had his nephew, Kim, executed"),
      ("negation-added", "were badly strained", "were not strained"),
      ("unstated-detail", "executed", "executed by firing squad"),
      ("place", "North Korea and China", "North Korea and Russia")],
     [("synonyms", "badly strained", "badly damaged"),
      ("verbatim-shortened", None, "Kim had his uncle, Jang Song Thaek, executed"),
      ("reordered", None, "After Kim had his uncle, Jang Song Thaek, executed, ties between North Korea and China were badly strained in 2013")]),
    ("kremlin-reason", S1, "But Kim backed out at the last moment",
     "Kim backed out at the last moment due to “domestic affairs,” according to Kremlin spokesman Dmitry Peskov",
     [("wrong-source", "according to Kremlin spokesman Dmitry Peskov", "according to the Chosun Ilbo"),
      ("wrong-source", "according to Kremlin spokesman Dmitry Peskov", "according to Deputy Foreign Minister Igor Morgulov"),
      ("entity-swap", "Kim backed out", "Jang backed out"),
      ("negation-added", "backed out", "did not back out"),
      ("comparative", "at the last moment", "well in advance"),
      ("unstated-detail", "due to “domestic affairs,”", "due to “domestic affairs” and illness,")],
     [("synonyms", "backed out", "pulled out"), ("synonyms", "due to", "because of"),
      ("reordered", None, "According to Kremlin spokesman Dmitry Peskov, Kim backed out at the last moment due to “domestic affairs.”"),
      ("verbatim-shortened", None, "Kim backed out due to “domestic affairs,” according to Dmitry Peskov")]),
    ("morgulov", S1, "Russian Deputy Foreign Minister Igor Morgulov visited",
     "Russian Deputy Foreign Minister Igor Morgulov visited Pyongyang on Wednesday",
     [("date", "on Wednesday", "on Thursday"), ("date", "on Wednesday", "on Monday"),
      ("place", "visited Pyongyang", "visited Seoul"), ("place", "visited Pyongyang", "visited Beijing"),
      ("entity-swap", "Igor Morgulov", "Vladimir Putin"),
      ("negation-added", "visited", "did not visit"),
      ("unstated-detail", "visited Pyongyang", "visited Pyongyang with a trade delegation")],
     [("synonyms", "visited", "went to"), ("verbatim-shortened", " on Wednesday", ""),
      ("reordered", None, "On Wednesday, Russian Deputy Foreign Minister Igor Morgulov visited Pyongyang")]),
    ("russia-exports", S1, "Nor do the countries have strong incentives",
     "North Korea has little foreign exchange to buy Russia’s main exports, such as oil and natural gas",
     [("negation-dropped", "has little foreign exchange", "has plenty of foreign exchange"),
      ("subject-object-swap", None, "Russia has little foreign exchange to buy North Korea’s main exports, such as oil and natural gas"),
      ("entity-swap", "such as oil and natural gas", "such as coal and textiles"),
      ("unstated-detail", "oil and natural gas", "oil, timber and natural gas")],
     [("synonyms", "main exports", "chief exports"),
      ("verbatim-shortened", None, "North Korea has little foreign exchange to buy Russian oil and natural gas")]),
    ("nk-goods", S1, "There is scant demand in Russia",
     "There is scant demand in Russia for North Korean coal or textiles",
     [("negation-dropped", "scant demand", "strong demand"), ("place", "in Russia", "in China"),
      ("subject-object-swap", None, "There is scant demand in North Korea for Russian coal or textiles"),
      ("entity-swap", "coal or textiles", "oil or natural gas")],
     [("synonyms", "scant demand", "little demand"),
      ("reordered", None, "North Korean coal or textiles are in scant demand in Russia")]),
    ("why-skip", S0, "Kim Jong-un, the North Korean leader, refused an invitation",
     "Kim Jong-un refused an invitation to visit Moscow because Russia refused to meet Pyongyang’s demands for special treatment",
     [("negation-dropped", "Kim Jong-un refused an invitation", "Kim Jong-un accepted an invitation"),
      ("negation-dropped", "Russia refused to meet", "Russia agreed to meet"),
      ("subject-object-swap", "Russia refused to meet Pyongyang’s demands", "Pyongyang refused to meet Russia’s demands"),
      ("place", "visit Moscow", "visit Beijing"),
      ("entity-swap", "because Russia refused", "because the Soviet Union refused"),
      ("unstated-detail", "special treatment", "special treatment and a military parade")],
     [("synonyms", "refused an invitation", "declined an invitation"),
      ("reordered", None, "Because Russia refused to meet Pyongyang’s demands for special treatment, Kim Jong-un refused an invitation to visit Moscow")]),
    ("paraphrase-press-officer", S0, "A spokesman for the Kremlin announced on Thursday",
     "A spokesman for the Kremlin announced on Thursday that Mr Kim had decided to stay in Pyongyang due to internal issues",
     [("date", "on Thursday", "on Friday"), ("date", "on Thursday", "on Tuesday"),
      ("wrong-source", "A spokesman for the Kremlin", "A spokesman for the Chosun Ilbo"),
      ("place", "stay in Pyongyang", "stay in Moscow"),
      ("negation-added", "had decided", "had not decided"),
      ("unstated-detail", "due to internal issues", "due to internal issues and security worries")],
     [("synonyms", "announced", "said"), ("synonyms", "decided to stay", "chosen to stay"),
      ("reordered", None, "Mr Kim had decided to stay in Pyongyang due to internal issues, a spokesman for the Kremlin announced on Thursday")]),
    ("which-paper", S0, "South Korea’s Chosun Ilbo newspaper reported",
     "South Korea’s Chosun Ilbo newspaper reported that Mr Kim opted to remain in Pyongyang because Russia refused to comply with the North’s request for special treatment",
     [("wrong-source", "South Korea’s Chosun Ilbo newspaper reported", "The Kremlin reported"),
      ("entity-swap", "because Russia refused", "because South Korea refused"),
      ("negation-dropped", "Russia refused to comply", "Russia agreed to comply"),
      ("place", "remain in Pyongyang", "remain in Seoul"),
      ("subject-object-swap", "Russia refused to comply with the North’s request", "the North refused to comply with Russia’s request")],
     [("synonyms", "opted to remain", "chose to stay"), ("synonyms", "refused to comply with", "declined to grant"),
      ("reordered", None, "According to South Korea’s Chosun Ilbo newspaper, Mr Kim opted to remain in Pyongyang because Russia refused to comply with the North’s request for special treatment")]),
    ("author-bet", S0, "I am feeling pretty smug",
     "The author had bet that Kim would chicken out of this",
     [("negation-added", "Kim would chicken out", "Kim would not chicken out"),
      ("entity-swap", "that Kim would", "that the North Korean public would"),
      ("unstated-detail", "had bet", "had bet $100")],
     [("verbatim-shortened", None, "I had bet that Kim would chicken out of this"),
      ("synonyms", "chicken out of this", "back out of this")]),
    ("rail-links", S0, "My guess would be in an agreement",
     "The author’s guess is an agreement to stop causing problems regarding the planned Eurasian rail links between Seoul and Russia",
     [("place", "between Seoul and Russia", "between Seoul and Beijing"),
      ("negation-dropped", "to stop causing problems", "to keep causing problems"),
      ("unstated-detail", "planned Eurasian rail links", "planned Eurasian rail and gas links")],
     [("synonyms", "planned", "proposed"), ("verbatim-shortened", None, "The planned Eurasian rail links run between Seoul and Russia")]),
    ("ushakov", S2, "presidential aide Yuri Ushakov sent",
     "Presidential aide Yuri Ushakov sent 70th anniversary invitations to the leaders of South Korea, the United States, Japan and China",
     [("number-value", "70th", "60th"), ("number-value", "70th", "75th"), ("number-scale", "70th", "7th"),
      ("entity-swap", "Presidential aide Yuri Ushakov sent", "Kim sent"),
      ("subject-object-swap", None, "The leaders of South Korea, the United States, Japan and China sent 70th anniversary invitations to presidential aide Yuri Ushakov"),
      ("negation-added", "sent", "did not send"),
      ("place", "the United States, Japan and China", "the United States, Japan and India")],
     [("synonyms", "sent", "issued"),
      ("reordered", None, "The leaders of South Korea, the United States, Japan and China were sent 70th anniversary invitations by presidential aide Yuri Ushakov"),
      ("verbatim-shortened", None, "Presidential aide Yuri Ushakov sent 70th anniversary invitations to the leaders of many countries")]),
    ("ceremony-date", S2, "There’s still time before the May 9 ceremony",
     "There’s still time before the May 9 ceremony in Moscow",
     [("date", "May 9", "May 19"), ("date", "May 9", "June 9"), ("date", "May 9", "May 8"),
      ("place", "in Moscow", "in Beijing"), ("comparative", "still time before", "no time left before")],
     [("synonyms", "There’s still time", "There is still time"),
      ("reordered", None, "The Moscow ceremony on May 9 is still some time away")]),
    ("kji-travel", S2, "His father Kim Jong-il traveled to Moscow",
     "Kim Jong-il traveled to Moscow via the Trans-Siberian railway to meet Putin in the summer of 2001, after Putin first visited Pyongyang for a brief summit in 2000",
     [("date", "2001", "2002"), ("date", "in 2000", "in 1999"), ("date", "summer", "winter"),
      ("comparative", "after Putin first visited", "before Putin first visited"),
      ("subject-object-swap", None, "Putin traveled to Pyongyang via the Trans-Siberian railway to meet Kim Jong-il in the summer of 2001, after Kim Jong-il first visited Moscow for a brief summit in 2000"),
      ("unit", "a brief summit", "a week-long summit"),
      ("place", "traveled to Moscow", "traveled to Vladivostok"),
      ("entity-swap", "Kim Jong-il traveled to Moscow", "Putin traveled to Moscow"),
      ("unstated-detail", "via the Trans-Siberian railway", "via the Trans-Siberian railway in an armoured carriage")],
     [("synonyms", "traveled", "went"), ("synonyms", "a brief summit", "a short summit"),
      ("reordered", None, "In the summer of 2001 Kim Jong-il traveled to Moscow via the Trans-Siberian railway to meet Putin, who had first visited Pyongyang for a brief summit in 2000"),
      ("verbatim-shortened", None, "Kim Jong-il traveled to Moscow via the Trans-Siberian railway in 2001")]),
    ("envoy", S2, "When Kim’s envoy Choe Ryong-hae visited Russia",
     "Kim’s envoy Choe Ryong-hae visited Russia for a week in November 2014 and stopped in Khabarovsk and Vladivostok on the way back to Pyongyang",
     [("number-value", "for a week", "for two weeks"), ("number-value", "for a week", "for three weeks"),
      ("unit", "for a week", "for a month"), ("unit", "for a week", "for a day"), ("unit", "for a week", "for a year"),
      ("date", "November 2014", "November 2015"), ("date", "November 2014", "October 2014"), ("date", "November", "December"),
      ("place", "Khabarovsk", "Irkutsk"), ("place", "visited Russia", "visited China"),
      ("comparative", "on the way back to Pyongyang", "on the way to Moscow"),
      ("entity-swap", "Choe Ryong-hae", "Kim Jong-il"),
      ("unstated-detail", "visited Russia", "visited Russia by train")],
     [("synonyms", "stopped in", "made stops in"), ("synonyms", "visited Russia for a week", "spent a week in Russia"),
      ("reordered", None, "In November 2014, Kim’s envoy Choe Ryong-hae visited Russia for a week, stopping in Khabarovsk and Vladivostok on the way back to Pyongyang"),
      ("verbatim-shortened", None, "Choe Ryong-hae stopped in Khabarovsk and Vladivostok on the way back to Pyongyang")]),
    ("2005-guests", S2, "Among those present at the",
     "Among those present at the 60th anniversary of Victory Day in 2005 were US President George W. Bush and UN Secretary General Kofi Annan",
     [("number-value", "60th", "50th"), ("number-value", "60th", "70th"), ("number-scale", "60th", "6th"),
      ("date", "in 2005", "in 2015"), ("date", "in 2005", "in 2004"),
      ("entity-swap", "UN Secretary General Kofi Annan", "UN Secretary General Hu Jintao"),
      ("negation-added", "Among those present", "Among those absent")],
     [("synonyms", "those present at", "those attending"),
      ("reordered", None, "US President George W. Bush and UN Secretary General Kofi Annan were among those present at the 60th anniversary of Victory Day in 2005")]),
    ("yalu-bridge", S2, "Clearly a rendezvous in Dandong",
     "The new Yalu River bridge was completed on October 30 2014",
     [("date", "October 30", "October 13"), ("date", "2014", "2013"), ("date", "October", "September"),
      ("place", "Yalu River", "Tumen River"), ("negation-added", "was completed", "was never completed")],
     [("synonyms", "completed", "finished"), ("reordered", None, "On October 30 2014 the new Yalu River bridge was completed")]),
    ("leader-count", S3, "According to a text published by The Economic Times",
     "The Economic Times reported on January 22 that around 20 foreign leaders were expected to attend a commemoration event in Moscow",
     [("number-value", "20", "30"), ("number-value", "20", "12"), ("number-scale", "around 20", "around 200"),
      ("number-scale", "around 20", "around 2,000"), ("number-scale", "around 20", "around 2"), ("unit", "around 20 foreign leaders", "around 20 percent of foreign leaders"),
      ("date", "January 22", "January 14"), ("date", "January 22", "February 22"),
      ("wrong-source", "The Economic Times", "The Washington Post"),
      ("comparative", "around 20", "fewer than 20"), ("place", "in Moscow", "in Beijing")],
     [("synonyms", "around 20", "about 20"), ("synonyms", "were expected to attend", "were expected at"),
      ("reordered", None, "Around 20 foreign leaders were expected to attend a commemoration event in Moscow, The Economic Times reported on January 22")]),
    ("herald", S4, "According to a report by The Korea Herald",
     "The Korea Herald reported that Kim has accepted an invitation from Russian President Vladimir Putin to attend a May ceremony marking the 70th anniversary of the end of the Second World War",
     [("number-value", "70th", "65th"), ("number-scale", "70th", "700th"), ("number-scale", "70th", "7th"),
      ("subject-object-swap", "Kim has accepted an invitation from Russian President Vladimir Putin", "Russian President Vladimir Putin has accepted an invitation from Kim"),
      ("date", "a May ceremony", "a June ceremony"),
      ("negation-dropped", None, "The Korea Herald reported that Kim has declined an invitation from Russian President Vladimir Putin to attend a May ceremony marking the 70th anniversary of the end of the Second World War"),
      ("wrong-source", "The Korea Herald", "The Economic Times"),
      ("entity-swap", "Kim has accepted", "South Korea has accepted"),
      ("comparative", "the end of the Second World War", "the start of the Second World War")],
     [("synonyms", "has accepted", "accepted"),
      ("reordered", None, "Kim has accepted an invitation from Russian President Vladimir Putin to attend a May ceremony marking the 70th anniversary of the end of the Second World War, The Korea Herald reported")]),
    ("xi-seoul", S4, "In a perceived snub to Pyongyang",
     "Xi broke longstanding Chinese tradition by visiting Seoul in July 2014 without a corresponding stop in North Korea",
     [("date", "July 2014", "July 2013"), ("date", "July 2014", "June 2014"), ("date", "July", "August"),
      ("place", "visiting Seoul", "visiting Tokyo"), ("place", "visiting Seoul", "visiting Pyongyang"),
      ("negation-dropped", "without a corresponding stop", "with a corresponding stop"),
      ("entity-swap", "Xi broke", "Abe broke"),
      ("unstated-detail", "visiting Seoul", "visiting Seoul by plane")],
     [("synonyms", "longstanding", "long-standing"), ("synonyms", "broke", "departed from"),
      ("reordered", None, "In July 2014 Xi visited Seoul without a corresponding stop in North Korea, breaking longstanding Chinese tradition")]),
    ("crimea", S4, "Following its invasion of Crimea",
     "Following its invasion of Crimea in early 2014, Russia faced international isolation and sanctions from Western states",
     [("date", "early 2014", "early 2015"), ("date", "early 2014", "late 2014"),
      ("place", "invasion of Crimea", "invasion of Georgia"),
      ("comparative", "Following its invasion", "Before its invasion"),
      ("negation-added", "Russia faced", "Russia never faced"),
      ("unstated-detail", "sanctions from Western states", "sanctions from Western states and Japan")],
     [("synonyms", "faced", "met with"),
      ("reordered", None, "Russia faced international isolation and sanctions from Western states following its invasion of Crimea in early 2014")]),
    ("oil-prices", S4, "More recently, the collapse in global oil prices",
     "The collapse in global oil prices has placed the Russian economy on a precarious precipice",
     [("negation-dropped", "The collapse in", "The rise in"), ("entity-swap", "the Russian economy", "Syria’s economy"),
      ("unstated-detail", "global oil prices", "global oil and gas prices")],
     [("synonyms", "collapse", "crash"), ("verbatim-shortened", None, "The collapse in global oil prices has placed the Russian economy on a precipice")]),
    ("banners", S4, "Over the course of 2014, there were reports",
     "Over the course of 2014, there were reports that a North Korean military academy had hung banners describing China as a turncoat",
     [("date", "2014", "2012"), ("entity-swap", "describing China", "describing Jang Song-thaek"),
      ("unstated-detail", "military academy", "naval military academy"),
      ("negation-added", "had hung", "had never hung")],
     [("synonyms", "hung", "put up"), ("synonyms", "describing China as", "calling China")]),
    ("veto", S3, "Russia, as a permanent member of the council",
     "Russia, as a permanent member of the council, has the power to veto the request",
     [("negation-added", "has the power", "lacks the power"), ("entity-swap", "Russia, as", "Kim Jong Un, as")],
     [("synonyms", "has the power to", "can")]),
    ("icc", S3, "the United Nations Security Council is currently considering",
     "The United Nations Security Council is considering a motion to refer the North Korean leadership to the International Criminal Court",
     [("wrong-source", None, "According to The Economic Times, the United Nations Security Council is considering a motion to refer the North Korean leadership to the International Criminal Court"),
      ("negation-added", "is considering", "has rejected"),
      ("entity-swap", "the North Korean leadership", "Russia")],
     [("synonyms", "is considering", "is weighing"),
      ("reordered", None, "A motion to refer the North Korean leadership to the International Criminal Court is being considered by the United Nations Security Council")]),
    # pydoc
    ("heap-smallest", HQ, "property of a heap is that a[0]",
     "The interesting property of a heap is that a[0] is always its smallest element",
     [("comparative", "smallest", "largest"), ("number-value", "a[0]", "a[1]"), ("negation-added", "is always", "is not always"),
      ("unstated-detail", "smallest element", "smallest and oldest element")],
     [("synonyms", "smallest element", "least element"), ("reordered", None, "A heap’s smallest element is always a[0]")]),
    ("heappop-returns", HQ, "Our heappop() method returns the smallest item",
     "heappop() returns the smallest item, not the largest",
     [("comparative", None, "heappop() returns the largest item, not the smallest"),
      ("negation-dropped", "not the largest", "and the largest")],
     [("synonyms", "returns", "gives back"), ("verbatim-shortened", ", not the largest", "")]),
    ("heapify-time", HQ, "Transform list into a heap, in-place, in O(len(heap)) time",
     "heapify transforms a list into a heap, in-place, in O(len(heap)) time",
     [("number-value", "O(len(heap))", "O(len(heap)**2)"), ("unit", "O(len(heap)) time", "O(len(heap)) memory"),
      ("negation-added", "in-place", "not in-place")],
     [("synonyms", "in-place", "in place"), ("reordered", None, "In O(len(heap)) time, heapify transforms a list into a heap in-place")]),
    ("heapreplace-fixed", HQ, "This is more efficient than heappop() followed by heappush()",
     "heapreplace is more efficient than heappop() followed by heappush(), and can be more appropriate when using a fixed-size heap",
     [("comparative", "more efficient", "less efficient"), ("unstated-detail", "a fixed-size heap", "a fixed-size heap of integers"),
      ("subject-object-swap", None, "heappop() followed by heappush() is more efficient than heapreplace, and can be more appropriate when using a fixed-size heap")],
     [("synonyms", "more appropriate", "better suited"),
      ("verbatim-shortened", None, "heapreplace can be more appropriate than heappop() followed by heappush() when using a fixed-size heap")]),
    ("merge-memory", HQ, "Similar to sorted(itertools.chain(*iterables)) but returns a generator",
     "heapq.merge returns a generator and does not pull the data into memory all at once",
     [("negation-dropped", "does not pull", "pulls"), ("negation-added", "returns a generator", "does not return a generator")],
     [("synonyms", "all at once", "at one time"), ("reordered", None, "heapq.merge does not pull the data into memory all at once; it returns a generator")]),
    ("bisect-left-dup", BI, "If x is already in a, insert it to the left of the leftmost x",
     "If x is already in a, insort_left inserts it to the left of the leftmost x",
     [("comparative", "to the left of the leftmost", "to the right of the leftmost"),
      ("comparative", "leftmost x", "rightmost x"), ("negation-added", "If x is already in a", "If x is not already in a")],
     [("synonyms", "to the left of", "just before"), ("reordered", None, "insort_left inserts x to the left of the leftmost x if x is already in a")]),
    ("insort-right", BI, "If x is already in a, insert it to the right of the rightmost x",
     "If x is already in a, insort_right inserts it to the right of the rightmost x",
     [("comparative", "to the right of the rightmost", "to the left of the rightmost"),
      ("comparative", "rightmost x", "leftmost x")],
     [("synonyms", "to the right of", "just after")]),
    ("bisect-lo-default", BI, "Optional args lo (default 0) and hi (default len(a))",
     "The optional args lo (default 0) and hi (default len(a)) bound the slice of a to be searched",
     [("number-value", "lo (default 0)", "lo (default 1)"),
      ("subject-object-swap", None, "The optional args hi (default 0) and lo (default len(a)) bound the slice of a to be searched"), ("number-value", "default len(a)", "default len(a) - 1"),
      ("subject-object-swap", None, "The optional args lo (default len(a)) and hi (default 0) bound the slice of a to be searched")],
     [("synonyms", "bound", "limit"), ("reordered", None, "The slice of a to be searched is bounded by the optional args lo (default 0) and hi (default len(a))")]),
    ("wrap-width", TW, "width (default: 70)",
     "The default width is 70",
     [("number-value", "70", "80"), ("number-scale", "70", "700"), ("number-value", "70", "72"), ("number-scale", "70", "7"), ("unit", "is 70", "is 70 pixels")],
     [("synonyms", "The default width is 70", "The width defaults to 70")]),
    ("dedent-tabs", TW, "Note that tabs and spaces are both treated as whitespace",
     "Tabs and spaces are both treated as whitespace, but they are not equal",
     [("negation-dropped", "they are not equal", "they are equal"), ("negation-added", "are both treated", "are not both treated")],
     [("synonyms", "not equal", "not the same"), ("reordered", None, "Tabs and spaces are not equal, although both are treated as whitespace")]),
    ("json-nan", JS, "If ``allow_nan`` is false, then it will be a ``ValueError`` to\n        serialize out of range ``float`` values (``nan``, ``inf``, ``-inf``) in",
     "If allow_nan is false, it will be a ValueError to serialize out of range float values",
     [("entity-swap", "out of range float values", "out of range JavaScript values"), ("negation-dropped", "If allow_nan is false", "If allow_nan is true")],
     [("synonyms", "it will be a ValueError to serialize", "serializing raises a ValueError for")]),
    ("why-skip", S0, "Kim Jong-un snubs Russia after being refused",
     "Kim Jong-un snubs Russia after being refused special treatment",
     [("subject-object-swap", None, "Russia snubs Kim Jong-un after being refused special treatment"),
      ("negation-dropped", "after being refused", "after being granted")],
     [("synonyms", "snubs", "rebuffs"), ("reordered", None, "After being refused special treatment, Kim Jong-un snubs Russia")]),
    ("first-trip", S1, "Given the cold shoulder by China, Kim looked to Russia",
     "Given the cold shoulder by China, Kim looked to Russia for support",
     [("subject-object-swap", None, "Given the cold shoulder by China, Russia looked to Kim for support"),
      ("entity-swap", "Given the cold shoulder by China", "Given the cold shoulder by Moscow"),
      ("negation-added", "Kim looked to Russia", "Kim did not look to Russia")],
     [("reordered", None, "Kim looked to Russia for support after China gave him the cold shoulder"),
      ("synonyms", "looked to Russia for support", "turned to Russia for support")]),
    ("first-trip", S1, "Senior North Korean officials made a flurry of trips",
     "Senior North Korean officials made a flurry of trips to Russia to prepare",
     [("subject-object-swap", None, "Senior Russian officials made a flurry of trips to North Korea to prepare"),
      ("negation-added", "made a flurry of trips", "made no trips")],
     [("synonyms", "a flurry of trips", "many trips")]),
    ("first-trip", S1, "In the spring of 2015, Pyongyang and Moscow were discussing",
     "In the spring of 2015, Pyongyang and Moscow were discussing a visit by Kim to Russia",
     [("subject-object-swap", None, "In the spring of 2015, Pyongyang and Moscow were discussing a visit by Putin to North Korea"),
      ("date", "spring of 2015", "autumn of 2015"), ("date", "2015", "2016")],
     [("reordered", None, "Pyongyang and Moscow were discussing a visit by Kim to Russia in the spring of 2015")]),
    ("first-trip", S1, "At that time, diplomats in Moscow thought Kim would choose Russia",
     "Diplomats in Moscow thought Kim would choose Russia, not China, for his first official trip",
     [("subject-object-swap", None, "Diplomats in Moscow thought Kim would choose China, not Russia, for his first official trip"),
      ("negation-dropped", "Russia, not China,", "Russia and China")],
     [("synonyms", "thought", "believed")]),
    ("first-trip", S1, "Russia, which wants to be involved in North Korea",
     "Kim has not yet responded to Russia's invitation to visit",
     [("negation-dropped", "has not yet responded to", "has accepted")],
     [("verbatim-shortened", None, "Russia has invited Kim to visit and repeatedly proposed that he hold talks with Putin")]),
    ("park", S3, "Russia invited both President Park Geun-hye",
     "Chosun Media mentioned that Russia invited both President Park Geun-hye and Kim in December last year",
     [("subject-object-swap", None, "Chosun Media mentioned that President Park Geun-hye invited both Russia and Kim in December last year"),
      ("date", "in December last year", "in January last year"), ("negation-added", "Russia invited", "Russia did not invite")],
     [("synonyms", "mentioned", "noted"), ("reordered", None, "In December last year, Russia invited both President Park Geun-hye and Kim, Chosun Media mentioned")]),
    ("delury", S3, "might be ready this year to come out of his cave",
     "North Korea expert John Delury, cited by The Washington Post, said Kim Jong Un might be ready this year to come out of his cave a bit",
     [("subject-object-swap", None, "The Washington Post, cited by North Korea expert John Delury, said Kim Jong Un might be ready this year to come out of his cave a bit"),
      ("date", None, "North Korea expert John Delury, cited by The Washington Post on January 22, 2015, said Kim Jong Un might be ready this year to come out of his cave a bit"),
      ("wrong-source", "cited by The Washington Post", "cited by The Economic Times")],
     [("synonyms", "said", "affirmed")]),
    ("ceremony-date", S3, "After three years of almost complete diplomatic isolation",
     "After three years of almost complete diplomatic isolation, North Korea’s leader decided to stage his first official visit to Moscow",
     [("number-value", "three years", "five years"), ("number-scale", "three years", "thirty years"),
      ("unit", "three years", "three months"), ("unit", "three years", "three weeks"), ("unit", "three years", "three decades"),
      ("negation-added", "decided to stage", "decided not to stage"), ("place", "visit to Moscow", "visit to Beijing")],
     [("synonyms", "decided to stage", "chose to make"),
      ("reordered", None, "North Korea’s leader decided to stage his first official visit to Moscow after three years of almost complete diplomatic isolation")]),
    ("kji-travel", S2, "there remains no published photographic evidence",
     "There remains no published photographic evidence of the meeting",
     [("negation-dropped", "There remains no published", "There is published")],
     [("synonyms", "There remains no", "There is still no")]),
    ("kji-travel", S2, "the rumor of a meeting between Kim Jong-il and former Chinese president Jiang Zemin",
     "The rumor of a meeting between Kim Jong-il and former Chinese president Jiang Zemin in Yangzhou has yet to be confirmed",
     [("negation-dropped", "has yet to be confirmed", "has been confirmed"), ("place", "in Yangzhou", "in Dandong"),
      ("date", None, "The rumor of a 2005 meeting between Kim Jong-il and former Chinese president Jiang Zemin in Yangzhou has yet to be confirmed")],
     [("synonyms", "has yet to be confirmed", "remains unconfirmed")]),
    ("indent-default", TW, "it will default to adding 'prefix' to all non-empty lines",
     "By default, indent adds the prefix to all non-empty lines that do not consist solely of whitespace characters",
     [("negation-dropped", "that do not consist solely", "that consist solely"), ("comparative", "all non-empty lines", "all lines, empty or not,")],
     [("synonyms", "adds the prefix to", "prefixes")]),
    ("author-expected-excuse", S0, "I did not even come close to guessing",
     "The author did not even come close to guessing the reason they would give",
     [("negation-dropped", "did not even come close to guessing", "correctly guessed"),
      ("unstated-detail", "the reason they would give", "the reason the Kremlin would give")],
     [("synonyms", "did not even come close to guessing", "was nowhere near guessing")]),
    ("rail-links", S0, "North Korea has for years based its survival",
     "North Korea has for years based its survival on the making of promises that it has no intention of keeping",
     [("negation-dropped", "it has no intention of keeping", "it intends to keep"), ("entity-swap", "North Korea has", "Seoul has")],
     [("synonyms", "has no intention of keeping", "does not intend to keep")]),
    ("heappop-returns", HQ, "Pop and return the current smallest value, and add the new item",
     "heapreplace pops and returns the current smallest value, and adds the new item",
     [("subject-object-swap", None, "heapreplace pops and returns the new item, and adds the current smallest value"),
      ("comparative", "current smallest value", "current largest value")],
     [("synonyms", "pops and returns", "removes and returns")]),
]

# Two facts from two sentences in one draft: (gold id, (source, anchor), (source, anchor), draft with
# {a} and {b} where the markers of the passages stating each fact go).
MERGED: list[tuple] = [
    ("two-accounts", (S0, "A spokesman for the Kremlin announced on Thursday"), (S0, "South Korea’s Chosun Ilbo newspaper reported"),
     "The Kremlin cited internal issues {a}, while the Chosun Ilbo reported that Russia refused the North’s request for special treatment {b}."),
    ("china-vs-russia", (S1, "Kim’s fence-mending meeting with Chinese President Xi Jinping"), (S1, "Annual trade between Russia and North Korea"),
     "Kim’s meeting with Chinese President Xi Jinping was a success {a}, and annual trade between Russia and North Korea is worth only about $100 million {b}."),
    ("kremlin-reason", (S0, "A spokesman for the Kremlin announced on Thursday"), (S1, "But Kim backed out at the last moment"),
     "A Kremlin spokesman cited internal issues {a}, and Dmitry Peskov spoke of domestic affairs {b}."),
    ("envoy-cities", (S2, "When Kim’s envoy Choe Ryong-hae visited Russia"), (S2, "His father Kim Jong-il traveled to Moscow"),
     "Choe Ryong-hae visited Russia in November 2014 {a}, and Kim Jong-il traveled to Moscow by the Trans-Siberian railway in 2001 {b}."),
    ("russia-exports", (S1, "Nor do the countries have strong incentives"), (S1, "There is scant demand in Russia"),
     "North Korea has little foreign exchange to buy Russian oil and natural gas {a}, and there is scant demand in Russia for North Korean coal or textiles {b}."),
    ("uncle-executed", (S1, "These were badly strained in 2013"), (S4, "However, beginning with the assassination of his uncle"),
     "Kim had his uncle Jang Song Thaek executed {a}, after which relations between North Korea and China grew increasingly frayed {b}."),
    ("inherit-year", (S1, "As the international community tightened"), (S1, "Kim’s fence-mending meeting with Chinese President Xi Jinping"),
     "Kim visited China in March on his first foreign trip since taking power in 2011 {a}, and his meeting with Xi Jinping was a success {b}."),
    ("veto", (S3, "Russia, as a permanent member of the council"), (S4, "Russia, despite sanctions and economic unease, remains"),
     "Russia has the power to veto the request {a} and remains a veto-wielding member of the U.N. {b}."),
    ("crimea", (S4, "Following its invasion of Crimea"), (S4, "More recently, the collapse in global oil prices"),
     "Russia faced sanctions from Western states after its invasion of Crimea in early 2014 {a}, and the collapse in global oil prices has placed its economy on a precarious precipice {b}."),
    ("heappop-returns", (HQ, "Our heappop() method returns the smallest item"), (HQ, "property of a heap is that a[0]"),
     "heappop() returns the smallest item {a}, and a[0] is always the smallest element of a heap {b}."),
    ("bisect-left-dup", (BI, "If x is already in a, insert it to the left of the leftmost x"), (BI, "If x is already in a, insert it to the right of the rightmost x"),
     "insort_left inserts x to the left of the leftmost x {a}, while insort_right inserts it to the right of the rightmost x {b}."),
    ("heapify-time", (HQ, "Transform list into a heap, in-place, in O(len(heap)) time"), (HQ, "Pop the smallest item off the heap"),
     "heapify transforms a list into a heap in O(len(heap)) time {a}, and heappop pops the smallest item off the heap {b}."),
    ("xi-seoul", (S4, "In a perceived snub to Pyongyang"), (S4, "Over the course of 2014, there were reports"),
     "Xi visited Seoul in July 2014 without a stop in North Korea {a}, and a North Korean military academy reportedly hung banners describing China as a turncoat {b}."),
    ("yalu-bridge", (S2, "Clearly a rendezvous in Dandong"), (S2, "When Kim’s envoy Choe Ryong-hae visited Russia"),
     "The new Yalu River bridge was completed on October 30 2014 {a}, and Choe Ryong-hae visited Russia for a week in November 2014 {b}."),
    ("leader-count", (S3, "According to a text published by The Economic Times"), (S4, "According to a report by The Korea Herald"),
     "Around 20 foreign leaders were expected in Moscow {a}, and Kim reportedly accepted Putin’s invitation to the May ceremony {b}."),
    ("morgulov", (S1, "Russian Deputy Foreign Minister Igor Morgulov visited"), (S1, "But Kim backed out at the last moment"),
     "Igor Morgulov visited Pyongyang on Wednesday {a}, and Kim backed out at the last moment due to domestic affairs {b}."),
    ("2005-guests", (S2, "Among those present at the"), (S2, "presidential aide Yuri Ushakov sent"),
     "George W. Bush attended the 60th anniversary of Victory Day in 2005 {a}, and Yuri Ushakov sent 70th anniversary invitations to the leaders of South Korea, the United States, Japan and China {b}."),
    ("dedent-tabs", (TW, "Note that tabs and spaces are both treated as whitespace"), (TW, "width (default: 70)"),
     "Tabs and spaces are both whitespace but not equal {a}, and the default width is 70 {b}."),
    ("heapreplace-fixed", (HQ, "This is more efficient than heappop() followed by heappush()"), (HQ, "Transform list into a heap, in-place, in O(len(heap)) time"),
     "heapreplace can be more appropriate when using a fixed-size heap {a}, and heapify works in-place in O(len(heap)) time {b}."),
    ("oil-prices", (S4, "More recently, the collapse in global oil prices"), (S4, "Russia, despite sanctions and economic unease, remains"),
     "The collapse in global oil prices has placed the Russian economy on a precarious precipice {a}, yet Russia remains a major world power {b}."),
]


def _tokenizer():  # noqa: ANN202
    from qa.config import Settings
    from qa.index.embed import Embedder

    settings = Settings()
    return settings, Embedder(settings.embed_model).count_tokens


def split_of(gold_id: str) -> str:
    """Stable dev/test assignment by gold question, so paraphrases of one fact never straddle splits."""
    return "test" if int(hashlib.sha256(gold_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def _fact_res(gold_id: str, golds: dict) -> list[re.Pattern]:
    g = golds[gold_id]
    return [re.compile(r"(?<!\w)(?:" + "|".join(grp) + r")(?!\w)", re.IGNORECASE) for grp in g["facts"]]


def main() -> int:
    from qa.index.load import read
    from qa.index.split import split

    settings, count = _tokenizer()
    golds: dict[str, dict] = {}
    for gold_path, _corpus in GOLD.values():
        for line in (ROOT / gold_path).read_text(encoding="utf-8").splitlines():
            g = json.loads(line)
            if g.get("answerable"):
                golds[g["id"]] = g
    chunks: dict[str, list] = {}
    for src in sorted({i[1] for i in ITEMS} | {m[1][0] for m in MERGED} | {m[2][0] for m in MERGED}):
        doc = read(src, (ROOT / src).resolve(), 10**8)
        chunks[src] = split(doc.text, settings.chunk_size, settings.chunk_overlap, count)
    corpus_of = {src: str(Path(src).parent) for src in chunks}
    problems: list[str] = []

    def find(src: str, anchor: str) -> tuple[int, tuple[int, int]]:
        """The first chunk holding the whole sentence that contains `anchor`, and that sentence."""
        for c in chunks[src]:
            for a, b in c.sentences:
                if anchor in c.text[a:b].replace("\xa0", " "):
                    return c.index, (c.start + a, c.start + b)
        raise SystemExit(f"anchor not found in {src}: {anchor!r}")

    def pdict(src: str, idx: int) -> dict:
        c = chunks[src][idx]
        return {"source": src, "start": c.start, "end": c.end, "sentences": [[c.start + a, c.start + b] for a, b in c.sentences]}

    def distractors(src: str, idx: int, facts: list[re.Pattern], avoid: list[tuple[str, int]], n: int, anchors: tuple[str, ...] = ()) -> list[dict]:
        """Chunks that share neither text nor the gold fact with the supporting ones: one from the same
        document (far from the answer), the rest from other documents of the same corpus."""
        picks: list[dict] = []
        own = chunks[src]
        others = [s for s in sorted(chunks) if corpus_of[s] == corpus_of[src] and s != src]
        pool = [(src, (idx + len(own) // 2 + k) % len(own)) for k in range(len(own))]
        for k, o in enumerate(others):
            pool += [(o, (idx + 3 * k + j) % len(chunks[o])) for j in range(len(chunks[o]))]
        for s, j in pool:
            c = chunks[s][j]
            if any(s == a_src and not (c.end <= chunks[a_src][a_idx].start or c.start >= chunks[a_src][a_idx].end) for a_src, a_idx in avoid):
                continue
            if any(f.search(c.text) for f in facts) or len(c.text) < 120 or any(a in c.text.replace("\xa0", " ") for a in anchors):
                continue
            if any(p["source"] == s and p["start"] == c.start for p in picks):
                continue
            if picks and s == picks[-1]["source"] and len(others) > 0:
                continue
            picks.append(pdict(s, j))
            avoid = [*avoid, (s, j)]
            if len(picks) == n:
                break
        return picks

    cases: list[dict] = []

    def add(gold_id: str, label: str, typ: str, draft: str, passages: list[dict], supporting: list[int], question: str, extra: dict | None = None) -> None:
        cid = f"{label[:5]}-{typ}-{gold_id}-{sum(1 for c in cases if c['gold_id'] == gold_id and c['type'] == typ and c['label'] == label)}"
        case = {"id": cid, "split": split_of(gold_id), "label": label, "type": typ, "question": question, "draft": draft,
                "passages": passages, "supporting": supporting, "gold_id": gold_id}
        case.update(extra or {})
        cases.append(case)

    for gold_id, src, anchor, base, false, faithful in ITEMS:
        g = golds.get(gold_id)
        if g is None:
            raise SystemExit(f"unknown gold id {gold_id}")
        facts = _fact_res(gold_id, golds)
        idx, sent = find(src, anchor)
        support = pdict(src, idx)
        dis = distractors(src, idx, facts, [(src, idx)], 2, (anchor,))
        rot = int(hashlib.sha256((gold_id + anchor).encode()).hexdigest(), 16) % 3
        passages = [*dis]
        passages.insert(rot, support)
        n = rot + 1

        def apply(old: str | None, new: str, where: str) -> str:
            if old is None:
                return new
            if old not in base:
                problems.append(f"{gold_id} {where}: {old!r} not in base")
                return base
            return base.replace(old, new, 1)

        for typ, old, new in false:
            text = apply(old, new, typ)
            if typ == "entity-swap":
                # the swapped-in name must be one the supporting passage itself mentions
                names = set(re.findall(r"\w+", new)) - set(re.findall(r"\w+", old or base))
                if not names or not names <= set(re.findall(r"\w+", chunks[src][idx].text)):
                    problems.append(f"{gold_id} entity-swap {new!r}: {names} not in the supporting passage")
            if typ == "wrong-source" and old is not None:
                # attribution changed; the passage stating the fact is present but names another source
                add(gold_id, "false", typ, f"{text} [{n}].", passages, [], g["question"], {"stated_in": [rot]})
                continue
            if typ == "wrong-source":
                add(gold_id, "false", typ, f"{text} [{n}].", passages, [], g["question"], {"stated_in": [rot]})
                continue
            add(gold_id, "false", typ, f"{text} [{n}].", passages, [], g["question"], {"stated_in": []})
        # wrong source by omission: the true sentence cites a passage that does not state it, and the
        # passage that does is absent.
        only = distractors(src, idx, facts, [(src, idx)], 2, (anchor,))
        add(gold_id, "false", "wrong-source", f"{base} [1].", only, [], g["question"], {"stated_in": []})
        # mis-cited: the true sentence cites a distractor while the passage that states it is present;
        # blocked only if it is dropped or re-cited to that passage.
        wrong_n = (rot + 1) % len(passages) + 1
        add(gold_id, "false", "wrong-source", f"{base} [{wrong_n}].", passages, [rot], g["question"], {"stated_in": [rot]})
        for typ, old, new in faithful:
            text = apply(old, new, typ)
            add(gold_id, "faithful", typ, f"{text.rstrip('.')} [{n}]." if not text.endswith(".”") else f"{text} [{n}]", passages, [rot], g["question"])
        add(gold_id, "faithful", "verbatim-shortened", f"{base} [{n}].", passages, [rot], g["question"]) if not any(f[0] == "verbatim-shortened" for f in faithful) else None

    for gold_id, (sa, aa), (sb, ab), template in MERGED:
        g = golds[gold_id]
        facts = _fact_res(gold_id, golds)
        ia, _ = find(sa, aa)
        ib, _ = find(sb, ab)
        pa, pb = pdict(sa, ia), pdict(sb, ib)
        if pa == pb:
            passages = [pa, *distractors(sa, ia, facts, [(sa, ia)], 1, (aa, ab))]
            add(gold_id, "faithful", "merged", template.format(a="", b="[1]").replace(" ,", ",").replace("  ", " ").replace(" .", "."), passages, [0], g["question"])
            continue
        passages = [pa, pb, *distractors(sa, ia, facts, [(sa, ia), (sb, ib)], 1, (aa, ab))]
        add(gold_id, "faithful", "merged", template.format(a="[1]", b="[2]"), passages, [0, 1], g["question"])

    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    from collections import Counter

    counts = Counter((c["label"], c["type"]) for c in cases)
    for (label, typ), k in sorted(counts.items()):
        print(f"{label:9} {typ:20} {k}")
    print(f"{len(cases)} cases -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
