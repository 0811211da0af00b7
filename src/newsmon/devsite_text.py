"""Synthetic but realistic news pages and feeds for the DevSite benchmark routes.

Everything here is deterministic in the article number ``n``: the same ``n`` always yields the same
story, on every machine and Python run, so benchmarks and tests can rely on it. Roughly one story in
six is about arms control (see :func:`generated_topic`); the rest are everyday news, with a few
harmless look-alike phrases (a "nuclear family", "open arms") that a keyword tagger must not take
for arms control.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

ARMS_CONTROL = "arms_control"

# --------------------------------------------------------------------------------------------------
# Word lists. People, places, outlets and companies are invented; organisations and treaties in the
# arms-control stories are real because a tagger has to recognise them.
# --------------------------------------------------------------------------------------------------
FIRST_NAMES = (
    "Adaeze",
    "Amelia",
    "Anders",
    "Aroha",
    "Beatriz",
    "Camille",
    "Chidi",
    "Daniel",
    "Dario",
    "Elena",
    "Emre",
    "Farah",
    "Gabriel",
    "Hana",
    "Ines",
    "Jonas",
    "Julia",
    "Kamal",
    "Karin",
    "Kenji",
    "Laila",
    "Lucas",
    "Maeve",
    "Marek",
    "Mariana",
    "Mateo",
    "Mei",
    "Nadia",
    "Nikhil",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Samuel",
    "Sofia",
    "Tariq",
    "Teresa",
    "Tomasz",
    "Valentina",
    "Wen",
    "Yusuf",
    "Zara",
    "Hugo",
    "Ingrid",
    "Leon",
    "Noor",
    "Pavel",
    "Ruth",
    "Simone",
)
LAST_NAMES = (
    "Abara",
    "Albrecht",
    "Arslan",
    "Bakker",
    "Castellanos",
    "Chen",
    "Dalgaard",
    "Devereux",
    "Eriksen",
    "Fairweather",
    "Farouk",
    "Gallagher",
    "Halloran",
    "Ibarra",
    "Jaworski",
    "Kallio",
    "Kowalczyk",
    "Lindqvist",
    "Maddox",
    "Marchetti",
    "Navarro",
    "Nakamura",
    "Oduya",
    "Okafor",
    "Pellegrini",
    "Quayle",
    "Rasmussen",
    "Rourke",
    "Salgado",
    "Sandoval",
    "Takeda",
    "Thorne",
    "Underwood",
    "Varga",
    "Vasquez",
    "Whitlock",
    "Yilmaz",
    "Zamora",
    "Brennan",
    "Costa",
    "Duarte",
    "Ferris",
    "Hartley",
    "Keane",
    "Lachance",
    "Mwangi",
    "Sato",
    "Odell",
    "Prentice",
    "Voss",
)
CITIES = (
    "Eastbrook",
    "Port Alden",
    "Kelso Falls",
    "Ridgeford",
    "Brightwater",
    "Millbrook",
    "Ashcombe",
    "Lowell Harbor",
    "New Tarrant",
    "Carrow",
    "Westmere",
    "Dunmore",
    "Fenwick",
    "Oakhaven",
    "Stanton Bay",
    "Larkspur",
)
OUTLETS = ("Eastbrook Herald", "Coastline Courier", "Northgate Post")
COMPANIES = (
    "Lumora",
    "Quillstack",
    "Brightpath Systems",
    "Torvane",
    "Nimbly",
    "Cobalt Grove",
    "Veridian Labs",
    "Harrowgate Foods",
    "Pellmark Logistics",
)
BANKS = (
    "Harbour Capital",
    "Ridgeford Securities",
    "Alden & Marsh",
    "Stanton Bay Bank",
    "Kelso Partners",
    "Northlight Asset Management",
)
THINK_TANKS = (
    "the Halvorsen Institute for Security Studies",
    "the Centre for Strategic Restraint",
    "the Brightwater Policy Institute",
    "the Open Verification Project",
)
STATES = (
    "the United States",
    "Russia",
    "China",
    "the United Kingdom",
    "France",
    "India",
    "Pakistan",
    "Japan",
    "Germany",
    "Brazil",
    "South Africa",
    "Kazakhstan",
    "Norway",
    "Mexico",
)
TEAM_SUFFIXES = ("United", "Rovers", "Athletic", "City", "Wanderers", "Town", "Albion")
GROUNDS = ("Riverside Park", "the Old Mill Ground", "Harbour Road", "Victoria Stadium", "Eastfield")
WARDS = ("Northgate", "Canal Street", "St Anne's", "Hillcrest", "Old Quay", "Ferry Lane")
AGENCIES = ("Pressline", "Harbourline Photo", "staff photographer", "handout")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINALS = ("second", "third", "fourth", "fifth", "sixth")
SMALL_WORDS = ("two", "three", "four", "five", "six")

NAV = ("World", "Politics", "Business", "Local", "Sport", "Technology", "Health", "Life", "Opinion")


# Reported speech assembled from short parts ("{speaker} {verb} that {phrase} {predicate}{tail}").
# Parts are at most a few words long, so two articles almost never share a run of five words; this
# keeps generated stories as dissimilar as independently written ones for near-duplicate detection.
SPEAKERS = (
    "Officials in {city}",
    "A spokesperson for {body}",
    "{body}",
    "Critics",
    "Supporters",
    "People close to {body}",
    "Several {thing}",
    "{person}, who [lives|works] in {city},",
    "One senior official",
    "Independent experts",
    "[Some|Several|Many] observers",
    "Opponents",
    "One person familiar with the discussions",
    "A senior figure at {body}",
    "{person}, a longtime observer,",
)
PHRASES = (
    "{short}",
    "the timetable for {short}",
    "the debate over {label}",
    "the cost of {short}",
    "public support for {short}",
    "the next phase",
    "the row over {label}",
    "the final decision",
    "the current approach",
    "the [plan|proposal|process]",
    "the [wider|broader] strategy",
)
PREDICATES = (
    "[would|could|might] take longer than [planned|expected|hoped]",
    "[would|could] cost [more|far more|considerably more] than [first estimated|budgeted|forecast]",
    "[could|might] [face|attract] a legal challenge",
    "[would|will] need the [backing|approval|support] of {body}",
    "[depended|hinged|rested] on decisions due in {month}",
    "[would|will] come under [fresh|renewed|closer] scrutiny in {month}",
    "[could|would] set a precedent [elsewhere|for others|beyond {city}]",
    "[was|had been] [poorly explained|badly communicated|rushed]",
    "[was|remained] [the right call|broadly on track|a work in progress]",
    "[had|enjoyed|lacked] [wide|broad|solid] public support",
    "[would|could] affect [about|roughly|more than] {big} {thing}",
    "[deserved|needed|required] [a fuller|a proper|an honest] public debate",
    "had been [discussed|raised|flagged] [repeatedly|privately|informally] since {month}",
    "[risked|was risking] [losing|eroding|damaging] public trust",
    "[would|should|must] be [reviewed|revisited|reassessed] before {month}",
)
VERBS = (
    "said",
    "warned",
    "argued",
    "insisted",
    "suggested",
    "acknowledged",
    "noted",
    "stressed",
    "predicted",
    "conceded",
    "told {outlet_the}",
)
VERB_TAILS = ("", "", " on {day}", " in an interview", " at a briefing", " in a statement", " this week")
TAILS = (
    "",
    "",
    "",
    ", [citing|pointing to] [figures|data|research] from {month}",
    ", [although|though] [details|specifics] were [scarce|thin|limited]",
    ", adding that [no final decision had been taken|talks would continue|more details would "
    "follow on {day2}]",
    " and [called for|urged|asked for] [more transparency|an independent review|a clearer "
    "timetable|patience]",
)


@dataclass(frozen=True)
class Topic:
    """Templates for one kind of story.

    Templates have ``{slot}`` fields (story-wide values from ``_frame``, per-sentence ones from
    ``_fresh``) and ``[a|b|c]`` alternatives, one picked at each use. ``subjects`` are dicts of
    slot values (``subject``, ``short``, ``label``, ``body``, ``thing``) shared by the templates.
    """

    name: str
    section: str
    weight: int
    subjects: tuple[dict[str, str], ...]
    roles: tuple[str, ...]
    critic_roles: tuple[str, ...]
    headlines: tuple[str, ...]
    deks: tuple[str, ...]
    leads: tuple[str, ...]
    details: tuple[str, ...]
    quotes: tuple[str, ...]
    closers: tuple[str, ...]
    captions: tuple[str, ...]
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subject label -> extra details
    generic: tuple[str, ...] = ()  # filled with GENERIC below unless the topic brings its own
    speakers: tuple[str, ...] = SPEAKERS
    phrases: tuple[str, ...] = PHRASES
    predicates: tuple[str, ...] = PREDICATES


ARMS = Topic(
    name=ARMS_CONTROL,
    section="World",
    weight=3,
    subjects=(
        dict(
            subject="a follow-on agreement to the New START treaty",
            short="the treaty process",
            label="warhead limits",
            venue="Geneva",
            body="the bilateral consultative commission",
            thing="deployed warheads",
        ),
        dict(
            subject="the Nuclear Non-Proliferation Treaty review conference",
            short="the NPT review",
            label="the NPT review",
            venue="New York",
            body="the conference bureau",
            thing="national reports",
        ),
        dict(
            subject="IAEA inspections at a uranium enrichment site",
            short="the inspection regime",
            label="enrichment inspections",
            venue="Vienna",
            body="the International Atomic Energy Agency",
            thing="centrifuges",
        ),
        dict(
            subject="a moratorium on intermediate-range missile deployments",
            short="the missile moratorium",
            label="missile deployments",
            venue="Brussels",
            body="NATO's nuclear planning group",
            thing="missile launchers",
        ),
        dict(
            subject="the Chemical Weapons Convention verification regime",
            short="the verification regime",
            label="chemical weapons verification",
            venue="The Hague",
            body="the Organisation for the Prohibition of Chemical Weapons",
            thing="declared stockpiles",
        ),
        dict(
            subject="export controls on dual-use missile technology",
            short="the export control regime",
            label="missile technology exports",
            venue="Paris",
            body="the Missile Technology Control Regime",
            thing="licence applications",
        ),
        dict(
            subject="the Comprehensive Nuclear-Test-Ban Treaty",
            short="the test ban",
            label="nuclear testing",
            venue="Vienna",
            body="the CTBT Organization's technical secretariat",
            thing="monitoring stations",
        ),
        dict(
            subject="limits on hypersonic glide vehicles",
            short="the hypersonic dialogue",
            label="hypersonic weapons",
            venue="Geneva",
            body="the Conference on Disarmament",
            thing="test flights",
        ),
    ),
    roles=(
        "the lead negotiator for {state1}",
        "deputy foreign minister of {state1}",
        "the ambassador of {state1} to the talks",
        "a senior defence ministry official in {state1}",
        "head of the arms control department at the foreign ministry of {state1}",
    ),
    critic_roles=(
        "an arms control analyst at {thinktank}",
        "a former treaty negotiator",
        "a nonproliferation researcher at {thinktank}",
        "director of {thinktank}",
    ),
    headlines=(
        "{state1} and {state2} make little headway on {label} in {venue}",
        "Negotiators in {venue} agree to keep talking on {label} despite deep divisions",
        "{state1} signals new flexibility on {label} ahead of {venue} meeting",
        "Analysts warn deadlock over {label} could unravel decades of arms control",
        "{who_last}: progress on {label} is ‘slow but real’",
        "Envoys to meet again in {venue} as pressure builds over {label}",
    ),
    deks=(
        "Arms control diplomats say the gap over {label} has narrowed, but verification remains "
        "the sticking point.",
        "The latest round in {venue} ended without a text, and both sides blamed the other.",
        "Experts warn that without limits on {thing}, the arms control architecture could fray.",
    ),
    leads=(
        "[Diplomats|Negotiators|Envoys] from {state1} and {state2} [ended|wrapped up|concluded] "
        "{small_word} days of [talks|negotiations|consultations] in {venue} on {day} without "
        "[agreement|a deal|consensus] on {subject}, [though|although|but] both [delegations|sides] "
        "said they would [meet again|reconvene|return to the table] before [the end of the year|"
        "the year is out|December].",
        "{state1} on {day} [put forward|tabled|presented] a new proposal on {subject}, a move that "
        "{critic}, {critic_role}, [described as|called] the most [significant|important|substantial] "
        "shift in its position [in years|for a decade|in a long time].",
        "Negotiators meeting [behind closed doors|in private|away from the cameras] in {venue} this "
        "week made [limited|modest|little] progress on {subject}, according to [officials|diplomats|"
        "people] from both sides who [briefed reporters|spoke to journalists|briefed the press] on "
        "{day}.",
        "The prospects for {subject} [dimmed|faded|receded] on {day} after {state2} [rejected|turned "
        "down|dismissed] a [set|package|series] of verification measures [proposed|put forward|"
        "drafted] by {state1}, officials in {venue} said.",
        "Representatives of more than {num} governments [gathered|met|assembled] in {venue} on {day} "
        "to [discuss|debate|take stock of] {subject}, amid warnings that the [wider|broader] "
        "architecture of arms control is [fraying|eroding|coming apart].",
    ),
    details=(
        "[Under|According to] the draft [text|document], each [side|party] would [exchange|share] "
        "data on {thing} [twice a year|every six months|annually] and [allow|permit|accept] up to "
        "{small} short-notice [visits|inspections] by [inspectors|monitors].",
        "{body} has not [published|released|issued] a full account of the session, but a summary "
        "[circulated|distributed|shared] to member states [described the atmosphere as|called the "
        "mood|characterised the tone as] “[businesslike|constructive|professional].”",
        "[Officials|Diplomats|Participants] said the delegations spent [much|most|a large part] of "
        "{day} on [definitions|technical definitions|counting rules], including which {thing} should "
        "be [counted|included|covered] and how.",
        "The last [comparable|similar] agreement took [nearly|almost|close to] {small} years to "
        "negotiate and was ratified only after a [bruising|bitter|long] domestic [debate|fight] in "
        "{state1}.",
        "{who}, {role}, told [reporters|journalists] that {state1} was [prepared|ready|willing] to "
        "discuss limits on {thing} “on a reciprocal and verifiable basis.”",
        "Verification remains the [central|main|biggest] sticking point: {state2} has [resisted|"
        "opposed|pushed back against] on-site inspections, arguing that [satellite monitoring|"
        "national technical means] and data exchanges are [sufficient|enough].",
        "According to a fact sheet [released|published] by {body}, [about|around|roughly] {pct} "
        "percent of the {thing} covered by [earlier|previous] arrangements have since been "
        "[retired|withdrawn|dismantled].",
        "The talks come as several nuclear-armed states [modernise|upgrade|expand] their arsenals, "
        "which [analysts|experts|observers] say makes it harder to agree on [meaningful|credible|"
        "lasting] ceilings for {thing}.",
        "[Several|A number of|Some] delegations [pressed|pushed|called] for a clear timetable, "
        "proposing that a first [set|package] of confidence-building measures on {label} be [agreed|"
        "settled|in place] by {month}.",
        "A diplomat from {state2}, speaking on condition of anonymity, said the proposal on {label} "
        "was “a step in the right direction but [far from enough|not yet sufficient|only a start].”",
        "{critic_last} said the [absence|lack] of a formal text after {num} hours of [discussion|"
        "talks|negotiation] in {venue} was “not unusual at this stage” of an arms control "
        "[negotiation|process].",
        "{body} is [expected|due|set] to [circulate|issue|distribute] a revised working paper in "
        "{month}, which would [form|serve as] the basis of the next round in {venue}.",
        "Since {year}, the number of {thing} declared by the parties has [fallen|declined|dropped], "
        "[although|though|but] independent estimates [vary|differ] by as much as {pct} percent.",
        "Officials from {state1} said they had also raised missile defence, which {state2} has "
        "[long|consistently|repeatedly] linked to any further [reductions|cuts] in strategic forces.",
        "The delegations agreed to set up {small_word} working groups, [including|among them] one on "
        "verification and one on [emerging|new|disruptive] technologies such as hypersonic and "
        "space-based systems.",
        "[Diplomats|Officials] said {state2} had asked for written [clarification|explanations] of "
        "{small} points before its experts could [respond|reply] to the proposal on {label}.",
        "Without a follow-on framework, experts [warn|caution], both sides could lose the data "
        "exchanges and [notifications|advance notices] that have [underpinned|supported] strategic "
        "stability for decades.",
        "The meeting in {venue} was the {ordinal} of its kind since {month} {year}, when the previous "
        "round [collapsed|broke down|ended abruptly] amid recriminations over compliance.",
        "Under a compromise [floated|suggested|proposed] on {day}, the parties would [notify|inform|"
        "warn] each other at least {num} hours before any test launch of a ballistic missile.",
        "Non-nuclear-weapon states attending as observers [urged|called for|pressed for] faster "
        "progress, [citing|pointing to|invoking] the disarmament commitments in Article VI of the "
        "Non-Proliferation Treaty.",
        "A senior official at {body} said inspectors had been [granted|given|allowed] access to "
        "{small} of the {num} sites they had requested, a figure critics [called|described as] "
        "[inadequate|insufficient].",
        "The delegation of {state1} was led by {who}, a veteran of [earlier|previous|past] rounds who "
        "helped [draft|write|negotiate] the monitoring provisions on {thing}.",
        "The talks also [touched on|covered|addressed] transparency about stocks of fissile "
        "material, an area where [reliable|credible] public data has been [scarce|thin|patchy] "
        "since {year}.",
        "Disagreement over sequencing, whether to cap {thing} first or agree on inspection rules, "
        "[dominated|took up most of] the {day} session, [participants|attendees|delegates] said.",
        "[Some|Several] experts have proposed a political declaration rather than a legally binding "
        "treaty, which would [avoid|sidestep] a [difficult|tough|protracted] ratification fight in "
        "{state1}.",
        "{critic_last} [noted|pointed out|recalled] that earlier agreements on {label} included "
        "detailed counting rules that took negotiators {num} months to [settle|agree|finalise].",
        "The foreign ministry of {state2} said in a statement that it remained “open to dialogue” "
        "but would not accept “unilateral demands” on {label}.",
        "Observers said the [tone|mood|atmosphere] in {venue} was [noticeably|markedly] warmer than "
        "at the previous session, when delegations cut the meeting short after {small} hours.",
    ),
    quotes=(
        "We did not come here expecting a breakthrough, but we did come expecting seriousness, and "
        "we found it",
        "Verification is not a detail. Without it, any agreement on {label} is just a press release",
        "There is a real risk that we drift into an unconstrained arms race that nobody actually wants",
        "The gap between the two positions on {thing} has narrowed, but it has not closed",
        "Every month without limits is a month in which worst-case planning takes over",
        "We have put concrete ideas on the table and we are waiting for a concrete answer",
        "This is slow work. It was slow during the Cold War, and it is slower now",
        "Our partners need to understand that transparency has to go both ways",
        "If this round fails, the next opportunity may be years away",
        "Nobody should underestimate how much trust has been lost since {year}",
        "The technical experts are ahead of the politicians, which is not unusual",
        "I would describe the mood in {venue} as cautious rather than hopeful",
    ),
    closers=(
        "The next round of talks is [scheduled|expected|due] to take place in {venue} in {month}, "
        "officials said.",
        "{body} said it would report on the outcome of the consultations before the end of {month}.",
        "Neither delegation gave a date for the next meeting, saying only that contacts would "
        "[continue|go on] through diplomatic channels.",
        "Experts from both sides are due to meet again in {venue} within {small} weeks to work on "
        "the verification annex.",
    ),
    captions=(
        "Delegations arrive for the talks in {venue} on {day}. (Photo: {agency})",
        "{who}, {role}, speaks to reporters after the session. (Photo: {agency})",
    ),
)


ECONOMY = Topic(
    name="economy",
    section="Business",
    weight=3,
    subjects=(
        dict(
            subject="the central bank's latest interest-rate decision",
            short="the rate decision",
            label="interest rates",
            body="the central bank",
            thing="mortgage holders",
        ),
        dict(
            subject="a sharp rise in wholesale gas and electricity prices",
            short="the price spike",
            label="energy prices",
            body="the energy regulator",
            thing="households",
        ),
        dict(
            subject="weak quarterly results from the largest retailers",
            short="the retail slump",
            label="retail sales",
            body="the retailers' association",
            thing="shoppers",
        ),
        dict(
            subject="a shortage of semiconductors that has slowed car production",
            short="the chip shortage",
            label="chip supplies",
            body="the manufacturers' federation",
            thing="car buyers",
        ),
        dict(
            subject="new figures showing inflation at a ten-year high",
            short="the inflation spike",
            label="inflation",
            body="the statistics office",
            thing="pensioners",
        ),
        dict(
            subject="a proposed merger between two regional banks",
            short="the merger",
            label="the bank merger",
            body="the competition authority",
            thing="small businesses",
        ),
        dict(
            subject="congestion at the country's container ports",
            short="the port backlog",
            label="shipping delays",
            body="the ports authority",
            thing="importers",
        ),
    ),
    roles=(
        "chief economist at {bank}",
        "the finance minister",
        "chief executive of {company}",
        "a spokesperson for {body}",
        "head of research at {bank}",
    ),
    critic_roles=(
        "a senior economist at {bank}",
        "an independent market analyst",
        "chair of the {city} Chamber of Commerce",
        "a former central bank adviser",
    ),
    headlines=(
        "Shares slip as investors fret over {label}",
        "{who_last} warns {label} will squeeze {thing} into next year",
        "What {short} means for {thing}",
        "Economists split over {label} as {city} firms report rising costs",
        "{body} under pressure to act on {label}",
        "Markets steady after {short}, but analysts warn of volatility ahead",
    ),
    deks=(
        "Businesses in {city} say they can no longer absorb higher costs.",
        "Investors are recalculating as forecasts for {label} are torn up.",
        "Economists disagree on whether the squeeze on {thing} will last into next year.",
    ),
    leads=(
        "Shares [fell|slipped|declined] for a {ordinal} straight session on {day} as investors "
        "[digested|weighed|absorbed] {subject}, with the main index closing {pct} percent lower.",
        "{subject} will add to the pressure on {thing} over the coming months, economists said on "
        "{day}, as businesses in {city} and beyond reported [rising|higher|mounting] costs.",
        "Businesses and {thing} are [bracing|preparing] for a [difficult|tough|hard] winter after "
        "{subject} sent a fresh [jolt|shock|tremor] through markets on {day}.",
        "{body} said on {day} it was [monitoring|watching|following] {subject} closely, as figures "
        "showed costs for {thing} rising at the fastest pace since {year}.",
    ),
    details=(
        "The benchmark ten-year bond yield [rose|climbed|jumped] to {rate} percent, its highest level "
        "since {month}, before [easing|falling back|retreating] slightly in afternoon trading.",
        "Analysts at {bank} said they now [expected|forecast|projected] growth of {rate} percent this "
        "year, down from an earlier [forecast|estimate|projection] of {rate2} percent.",
        "Retailers [reported|said] that {thing} were [cutting back on|reining in] discretionary "
        "spending, with sales of [furniture|home furnishings] and electronics down {pct} percent on "
        "the year.",
        "{who}, {role}, said the pressure on margins was “real and broad-based” and [unlikely|not "
        "expected] to ease before the spring.",
        "The figures showed that prices for [food and fuel|groceries and petrol|food and energy] had "
        "[risen|increased|climbed] {pct} percent in the twelve months to {month}.",
        "Small [firms|businesses|companies] in {city} said they had [absorbed|swallowed] higher costs "
        "for months but could no longer [avoid|put off] passing them on to customers.",
        "Trading volumes were [thin|light|subdued], with many investors waiting for the release of "
        "[employment|jobs|labour market] data on {day2}.",
        "{body} has said it regards the current spike as [temporary|transitory|short-lived], a view "
        "that some economists, including {critic_last}, have begun to question.",
        "Shares in {company} [fell|dropped|slid] {pct} percent after the company warned that {short} "
        "would [hit|dent|weigh on] its profits in the second half.",
        "A survey of {big} businesses [published|released] on {day} found that {num} percent "
        "[expected|planned] to raise prices in the next three months.",
        "The currency [weakened|slipped|fell] against the dollar, [falling|sinking|dropping] to its "
        "lowest level in {small} weeks.",
        "Economists at {bank} [estimated|calculated|reckon] that {short} could add [about|around|"
        "roughly] {money} a year to costs for {thing} in {city} alone.",
        "Some lenders have already begun to reprice fixed-rate [deals|mortgages], with {num} products "
        "[withdrawn|pulled] from the market in the past week.",
        "{critic}, {critic_role}, said policymakers faced “an uncomfortable choice between supporting "
        "growth and keeping a lid on prices.”",
        "Unemployment, [by contrast|meanwhile|on the other hand], has continued to fall, reaching "
        "{rate} percent in {month}, the lowest rate since {year}.",
        "The last time {label} moved this [quickly|fast|sharply], in {year}, it took [nearly|almost] "
        "{small} quarters for conditions to return to normal.",
        "Industry groups have [called for|asked for|demanded] temporary tax relief, arguing that "
        "{thing} should not [bear|shoulder|carry] the full cost of {short}.",
        "[Mining|Energy] and utility stocks were among the few gainers on {day}, while travel and "
        "leisure companies [fell sharply|slumped|lost ground].",
        "Exporters have [benefited|gained] from the weaker currency, but importers in {city} say their "
        "input costs have [jumped|risen|climbed] by as much as {pct} percent.",
        "Freight rates on [key|major|busy] routes have more than doubled since {month}, according to "
        "data [compiled|collected] by {bank}.",
        "Ministers are [expected|due|likely] to address {label} in a budget statement [due|scheduled] "
        "in {month}.",
        "In a note to clients, {bank} said the risk of a sharper slowdown had “risen meaningfully” "
        "over the past {small} weeks.",
        "Consumer confidence [slipped|dipped|fell] to {num} points in {month}, down from {num2} a "
        "month earlier, according to a [closely watched|widely followed] survey.",
        "Pension funds and other long-term investors have been [moving|shifting] money into "
        "shorter-dated bonds since {month}, [traders|dealers|brokers] said.",
        "The government has ruled out price caps for now, saying [targeted|focused] support for "
        "{thing} would be more [effective|efficient].",
        "{company} said it would [review|reconsider] its investment plans in {city} in light of "
        "{short}, putting [about|around|some] {hundreds} jobs under scrutiny.",
    ),
    quotes=(
        "Nobody is panicking, but everybody is recalculating",
        "We are seeing cost pressures in places we have not seen them for a decade",
        "The question is not whether prices rise, but how long they stay high",
        "For a small business like ours, a {pct} percent increase is the difference between a good "
        "year and a bad one",
        "Markets had priced in a soft landing, and that assumption is now being tested",
        "We would rather move early and modestly than late and aggressively",
        "{thing} are going to feel this in their monthly budgets before they see it in the headlines",
        "There is a lot of noise in the data right now, so we are careful not to overreact",
        "Our customers are still spending, but they are shopping around much more",
        "The worst of the supply problems should be behind us by the middle of next year",
        "I have been in this business for {num} years and I have not seen anything like it",
        "If you are on a variable rate, now is the time to talk to your lender",
    ),
    closers=(
        "Markets will next [focus on|turn to] the inflation report due on {day2}.",
        "{body} is scheduled to publish its next assessment in {month}.",
        "The main index has now fallen {pct} percent from its peak in {month}.",
        "{company} is due to report full-year results in {month}.",
    ),
    captions=(
        "Traders on the floor of the exchange on {day}. (Photo: {agency})",
        "Shoppers in central {city}. (Photo: {agency})",
    ),
)


SPORTS = Topic(
    name="sports",
    section="Sport",
    weight=3,
    subjects=(
        dict(
            subject="the Premier Division fixture",
            short="the result",
            label="the title race",
            body="the league",
            thing="supporters",
            competition="the Premier Division",
        ),
        dict(
            subject="the National Cup quarter-final",
            short="the cup tie",
            label="the cup run",
            body="the football association",
            thing="supporters",
            competition="the National Cup",
        ),
        dict(
            subject="the Women's Super League match",
            short="the result",
            label="the title race",
            body="the league",
            thing="supporters",
            competition="the Women's Super League",
        ),
        dict(
            subject="the Championship fixture",
            short="the result",
            label="the promotion push",
            body="the league",
            thing="season-ticket holders",
            competition="the Championship",
        ),
    ),
    roles=("the {team} manager", "head coach of {team}", "the {team} captain"),
    critic_roles=(
        "a former {rival} captain",
        "a former international and television pundit",
        "chair of the {team} Supporters' Trust",
    ),
    headlines=(
        "{team} edge {rival} {score} to keep {label} alive",
        "Late {scorer_last} goal lifts {team} past {rival}",
        "{team} hold their nerve against {rival} in {competition}",
        "{who_last} hails ‘complete performance’ as {team} beat {rival}",
        "{rival} left frustrated as {team} grind out {score} win",
        "Ten-man {team} survive late scare to beat {rival}",
    ),
    deks=(
        "{scorer} settled a tense contest at {ground}.",
        "The result keeps {team} in {label}, while {rival} slip further behind.",
        "A crowd of {big} saw {team} extend their unbeaten run.",
    ),
    leads=(
        "{scorer} [struck|scored|found the net] in the {minute} minute as {team} [beat|overcame|saw "
        "off] {rival} {score} at {ground} on {day}, a result that keeps them [firmly|squarely] in "
        "{label}.",
        "{team} came from behind to [beat|defeat] {rival} {score} in {competition} on {day}, with "
        "{scorer} [scoring|grabbing|netting] the decisive goal in front of a crowd of {big}.",
        "A [dogged|resilient|determined] {team} side ground out a {score} win over {rival} at "
        "{ground} on {day}, extending their unbeaten run to {small} matches.",
    ),
    details=(
        "{rival} had the better of the opening [exchanges|stages|minutes], and {keeper} was "
        "[forced into|called on to make] a sharp save from a {person} header after {num} minutes.",
        "{scorer_last} had already gone close twice before the breakthrough, [curling|bending] one "
        "effort just wide and seeing another [blocked|cleared] on the line.",
        "The home side's pressing [unsettled|rattled|troubled] {rival} throughout the first half, "
        "forcing {num} turnovers in the opposition half.",
        "{who}, {role}, made {small_word} changes at [half-time|the interval|the break], bringing on "
        "{person} to add pace down the [left|right|flank].",
        "{rival} [equalised|levelled|drew level] early in the second half when {person} [converted|"
        "turned in|finished] a low cross at the near post.",
        "The goal was {scorer_last}'s {ordinal} in {small_word} games and came from a corner routine "
        "the squad had [rehearsed|practised|worked on] in training, according to the coaching staff.",
        "{keeper} finished with {small} saves, the most important a [diving|full-length|"
        "fingertip] stop in stoppage time to [preserve|protect|secure] the lead.",
        "{team} have now won {small} of their last ten matches in {competition}.",
        "A crowd of {big} at {ground} was the [largest|biggest] of the season, with away fans "
        "filling the whole of the [north|south|east] stand.",
        "{rival} finished the match with ten men after {person} was shown a second yellow card for a "
        "[late|reckless|clumsy] challenge in the {minute} minute.",
        "The result lifts {team} to {ordinal} place, {small} points behind the leaders with a game in hand.",
        "Injuries have [hampered|disrupted|dogged] {team} this season, with {small} first-team "
        "players currently [sidelined|out|unavailable].",
        "{critic}, {critic_role}, said {team} looked “more organised than at any point this season.”",
        "Match statistics showed {team} had {num} percent of possession but [managed|produced|"
        "mustered] only {small} attempts on goal.",
        "{rival} will feel [aggrieved|hard done by] that a penalty appeal was [waved away|turned "
        "down|ignored] shortly before half-time, when {person} appeared to be tripped inside the "
        "area.",
        "Replays suggested the decision was [marginal|close|borderline], and the {rival} coaching "
        "staff made their feelings clear to the fourth official.",
        "{scorer_last}, signed from {city2} in the summer for a reported {money}, has now scored "
        "{small} goals in all competitions.",
        "Both sides struggled with a heavy pitch after a [morning|night|day] of rain in {city}.",
        "The club confirmed after the match that {person} had been taken to hospital for "
        "[precautionary|routine] checks on an [ankle|knee|hamstring] injury.",
        "{team} travel to {rival2} on {day2} in a fixture that could [shape|decide|define] {label}.",
        "Ticket sales for the return fixture have already passed {big}, the club said.",
        "Academy graduate {person} made a first senior start for {team} and was substituted to a "
        "standing ovation in the {minute} minute.",
        "{rival} have not won away from home since {month}, a run their manager [described as|"
        "called] “unacceptable.”",
        "Supporters' groups have [praised|welcomed] the decision by {team} to freeze season-ticket "
        "prices for a {ordinal} consecutive year.",
        "The new signing was welcomed with open arms by the home crowd, who [chanted|sang] "
        "{scorer_last}'s name long after the final whistle.",
    ),
    quotes=(
        "The players showed real character today, especially after the equaliser",
        "We knew {rival} would come at us, and we were ready for it",
        "It was not pretty at times, but this league rewards results, not style points",
        "{scorer_last} has been working incredibly hard in training, and that goal was the reward",
        "We have to be more clinical. We created enough chances to win by three or four",
        "The atmosphere tonight was the best I have experienced at this ground",
        "I thought the referee had a difficult afternoon, and I will leave it there",
        "There is a long way to go, but we are in the conversation now",
        "We switched off for five minutes and got punished. That is the lesson",
        "Nobody in the dressing room is getting carried away",
        "The fans deserved that. They have stuck with us through a difficult spell",
        "We will recover, look at the video and go again on {day2}",
    ),
    closers=(
        "{team} host {rival2} at {ground} on {day2}.",
        "{rival} will look to respond when they face {rival2} next weekend.",
        "The teams meet again in the return fixture in {month}.",
    ),
    generic=(
        "{who_last} [declined|refused] to comment on the refereeing when contacted by {outlet_the}.",
        "Reaction on social media was [swift|immediate], with thousands of posts about {label} in the "
        "hours after the final whistle.",
        "Figures compiled by {outlet_the} show that attendances at {ground} have [risen|grown] "
        "steadily since {month} {year}.",
        "{critic_last} said {team} would need to repeat the performance against stronger opposition "
        "before anyone could call them contenders.",
        "The club has [won|lifted] {competition} only once, in {year}, and supporters have waited "
        "[a long time|years] for a serious challenge.",
        "Tickets for the next home game went on general sale on {day2} and [sold out|were gone] "
        "within hours.",
    ),
    speakers=(
        "Supporters",
        "Several players",
        "Club officials",
        "Pundits",
        "The coaching staff",
        "{person}, a season-ticket holder,",
        "Former players",
        "[Some|Several] observers",
    ),
    phrases=(
        "{team}'s form",
        "the squad",
        "{scorer_last}'s fitness",
        "the back four",
        "the midfield",
        "the pressing game",
        "the run-in",
        "{label}",
        "the rotation policy",
        "the home record",
        "the next few fixtures",
        "the younger players",
        "{rival}",
    ),
    predicates=(
        "[had improved|had looked sharper|had come on] since {month}",
        "[would be|will be] tested against {rival2}",
        "[was|remained] a [concern|worry|work in progress]",
        "[could|might] [cost|decide] [points|matches] [later in the season|in {month}]",
        "[needed|would need] more [time|work|patience]",
        "[was|had been] [the difference|decisive|crucial] on {day}",
        "[deserved|earned] [credit|praise|more credit]",
        "[would|could] [shape|define] {label}",
        "[looked|seemed] [stronger|fresher|more confident] than last season",
        "[had|has] [struggled|stuttered] away from home",
    ),
    captions=(
        "{scorer} celebrates the winning goal at {ground}. (Photo: {agency})",
        "Players from {team} and {rival} contest a header on {day}. (Photo: {agency})",
    ),
)


LOCAL = Topic(
    name="local",
    section="Local",
    weight=3,
    subjects=(
        dict(
            subject="plans for a new bus rapid transit line",
            short="the transit plan",
            label="the bus line",
            body="the regional transport authority",
            thing="commuters",
        ),
        dict(
            subject="a proposal to redevelop the former rail yards",
            short="the rail yards scheme",
            label="the rail yards plan",
            body="the planning committee",
            thing="residents",
        ),
        dict(
            subject="a plan to renovate the Victoria Street market hall",
            short="the renovation",
            label="the market hall",
            body="the city council",
            thing="traders",
        ),
        dict(
            subject="a plan to close two branch libraries",
            short="the closure plan",
            label="library closures",
            body="the council's culture committee",
            thing="library users",
        ),
        dict(
            subject="repairs to the ageing Harbour Bridge",
            short="the repair programme",
            label="the bridge repairs",
            body="the highways department",
            thing="drivers",
        ),
        dict(
            subject="a new network of protected cycle lanes",
            short="the cycle network",
            label="cycle lanes",
            body="the transport committee",
            thing="cyclists",
        ),
    ),
    roles=(
        "the mayor of {city}",
        "leader of {city} council",
        "chair of {body}",
        "the city manager",
        "a councillor representing the {ward} ward",
    ),
    critic_roles=(
        "a spokesperson for the {city} Residents' Association",
        "an opposition councillor",
        "a shop owner on the proposed route",
        "a retired engineer who has followed the project closely",
    ),
    headlines=(
        "{city} council approves {label} after marathon session",
        "Residents push back against {short}",
        "Costs rise again for {short} in {city}",
        "What {short} means for {thing} in {city}",
        "{city} mayor defends {short} amid criticism",
        "Council delays vote on {label} until {month}",
    ),
    deks=(
        "Supporters say {city} cannot afford to wait; opponents say the numbers do not add up.",
        "{thing} packed the council chamber to have their say.",
        "A report puts the cost of {short} well above the first estimate.",
    ),
    leads=(
        "Councillors in {city} voted {vote} on {day} to [approve|back|endorse] {subject}, ending "
        "months of [debate|argument|wrangling] over the cost and timing of the project.",
        "Residents [packed|crowded into|filled] a council meeting in {city} on {day} evening to "
        "[voice|air|raise] their concerns about {subject}, with more than {num} people signing up to "
        "speak.",
        "The cost of {subject} has [risen|grown|increased] by [about|around|roughly] {money}, "
        "according to a report [presented|submitted] to {body} on {day}.",
        "{body} has asked for more time to [study|examine|review] {subject} after an independent "
        "review raised questions about its [effect|impact] on {thing}.",
    ),
    details=(
        "The vote followed a {num}-minute public hearing in which {thing} raised [concerns|worries|"
        "objections] about noise, parking and the length of construction.",
        "Under the current timetable, work would [begin|start] in {month} and take [about|around|"
        "roughly] {small} years to [complete|finish].",
        "City staff [estimate|calculate|expect] that {short} would affect [about|around|some] {big} "
        "{thing} a year.",
        "{who}, {role}, said the project had been “consulted on more thoroughly than anything this "
        "council has done in a decade.”",
        "Opponents have [collected|gathered] more than {big} signatures on a petition [calling for|"
        "demanding] a referendum on {label}.",
        "The council's own figures show that {pct} percent of the cost would come from regional and "
        "national [grants|funding].",
        "A consultant's report [commissioned|ordered] in {year} warned that delays could add as much "
        "as {money} to the final bill.",
        "Business owners in the {ward} area said they had not been told how long access to their "
        "[premises|shops|properties] would be restricted.",
        "{critic}, {critic_role}, said the council had “ignored the people who will actually live "
        "with the consequences.”",
        "The plan was first [proposed|floated|put forward] in {year} but was [shelved|put on hold] "
        "during the pandemic as council revenues fell.",
        "Council officers said a decision on compensation for affected {thing} would be [taken|made] "
        "separately in {month}.",
        "Supporters argue that {short} is [overdue|long overdue], pointing out that the population of "
        "{city} has grown by {pct} percent since {year}.",
        "A similar project in neighbouring {city2} was completed {small} months late and [about|"
        "around|roughly] {pct} percent over budget.",
        "Councillor {person}, who voted against the plan, said the financial risks had been "
        "“consistently understated.”",
        "The next stage is a formal planning application, which will be open for public [comment|"
        "consultation] for {small} weeks.",
        "Officials said they were also [exploring|considering|looking at] a smaller version of the "
        "scheme that would cost [roughly|about|around] {money}.",
        "The {ward} ward, which would be most affected, has some of the lowest car ownership rates in "
        "{city}.",
        "A public drop-in session on {label} is planned at the central library on {day2} from 4pm to 8pm.",
        "Unions representing council workers have said they support the project but want "
        "[guarantees|assurances] over local hiring.",
        "The council received {num} written submissions on {label}, most of them [opposed|against "
        "it|critical], according to the meeting agenda.",
        "The mayor's office said {short} was consistent with the climate plan {city} adopted in "
        "{year}, which aims to halve emissions by 2030.",
        "{body} meets again on {day2}, when members are [expected|due] to discuss the detailed design.",
        "Newcomers drawn by cheaper rents have been welcomed with open arms in {ward}, but many say "
        "they were never [consulted|asked] about {label}.",
    ),
    quotes=(
        "This is the most important decision this council will take in years, and we owe it to "
        "residents to get it right",
        "Nobody is against improving the city. We are against doing it badly",
        "We have listened, we have changed the plan, and now it is time to deliver",
        "I have lived on this street for {num} years and nobody from the council has ever knocked on my door",
        "The numbers simply do not add up, and everyone in this room knows it",
        "If we wait another five years, it will cost twice as much",
        "We are not going to get a perfect plan, but this is a good plan",
        "People are worried about their businesses, their commutes and their homes, and those worries "
        "are legitimate",
        "The council has a habit of announcing things first and asking questions later",
        "This is exactly the kind of investment {city} has been missing",
    ),
    closers=(
        "A final decision on {label} is expected in {month}.",
        "The full report is available on the council's website.",
        "{body} will hold a further public meeting on {day2}.",
    ),
    captions=(
        "Residents queue to speak at the council meeting in {city}. (Photo: {agency})",
        "The site in the {ward} area on {day}. (Photo: {agency})",
    ),
)


TECH = Topic(
    name="technology",
    section="Technology",
    weight=2,
    subjects=(
        dict(
            subject="a data breach affecting customer accounts",
            short="the breach",
            label="the data breach",
            body="the data protection authority",
            thing="customers",
        ),
        dict(
            subject="an outage that knocked card terminals offline",
            short="the outage",
            label="the payments outage",
            body="the payments regulator",
            thing="shopkeepers",
        ),
        dict(
            subject="a glitch in the city's new parking app",
            short="the glitch",
            label="the parking app",
            body="the city's digital services team",
            thing="drivers",
        ),
        dict(
            subject="a failed software update at an online ticketing platform",
            short="the failed update",
            label="online ticketing",
            body="the consumer protection agency",
            thing="concertgoers",
        ),
        dict(
            subject="an error that double-charged customers of a mobile network",
            short="the billing error",
            label="the billing error",
            body="the communications regulator",
            thing="mobile customers",
        ),
    ),
    roles=(
        "chief executive of {company}",
        "chief technology officer at {company}",
        "a spokesperson for {body}",
        "the digital minister",
    ),
    critic_roles=(
        "a security researcher in {city}",
        "a technology analyst at {bank}",
        "head of a small-business group",
        "a digital rights campaigner",
    ),
    headlines=(
        "{company} under scrutiny after {short}",
        "{body} opens inquiry into {label}",
        "What {short} means for {thing}",
        "{who_last} promises fixes as questions mount over {label}",
        "Experts say {short} exposes wider weaknesses",
    ),
    deks=(
        "The company says it has fixed the problem; critics say it was warned.",
        "{thing} want answers, and {body} is asking questions.",
        "Analysts say the episode will shape the rules on {label} for years.",
    ),
    leads=(
        "{company} said on {day} it was [investigating|looking into|examining] {subject}, after "
        "{thing} reported problems that began late on {day2}.",
        "{body} has opened an inquiry into {subject}, officials said on {day}, in a move that could "
        "[lead to|result in] fines of up to {money}.",
        "{subject} is [facing|drawing] fresh criticism after a report found that {num} percent of "
        "{thing} [experienced|ran into|hit] problems in its first month.",
    ),
    details=(
        "The company said [about|around|roughly] {big} accounts had been affected, [although|though] "
        "it could not yet say how many had been [accessed|misused].",
        "{who}, {role}, said engineers had [identified|found|pinpointed] the cause within {small} "
        "hours and that systems were “operating normally” again.",
        "Security researchers said the weakness had been [reported|flagged|disclosed] to {company} "
        "as early as {month}.",
        "{critic}, {critic_role}, said the incident showed how much ordinary life now [depends|"
        "relies] on a handful of suppliers.",
        "Under the rules, companies must [notify|inform|alert] {body} within 72 hours of "
        "[discovering|detecting] a problem of this kind.",
        "Shares in {company} [fell|dropped|slid] {pct} percent in early trading before "
        "[recovering|regaining|clawing back] some of their losses.",
        "The firm employs [about|around|some] {hundreds} people in {city} and has [expanded|grown] "
        "rapidly since {year}.",
        "{thing} described long waits on customer helplines, with some saying they had been on hold "
        "for more than {num} minutes.",
        "A spokesperson for {body} [declined|refused] to say how long its inquiry into {label} would take.",
        "The episode is the {ordinal} [serious|significant|major] incident at {company} in {small} years.",
        "Industry figures said the underlying software had been [widely|broadly] used since {year} "
        "without serious problems.",
        "{company} has [promised|pledged|committed to] an independent audit and said it would "
        "publish the findings.",
        "Analysts at {bank} [estimated|calculated] that {short} could cost the company [about|around|"
        "up to] {money}.",
        "Engineers at {company} [rolled back|reversed|withdrew] a software update on {day}, which the "
        "company now believes triggered the fault.",
        "Competitors including {company2} said their services had not been affected.",
        "Lawmakers in {city} have [called for|demanded] a hearing on {label} before the end of {month}.",
        "Trade bodies [warned|cautioned] that stricter rules could raise costs for smaller firms.",
        "{critic_last} said companies too often treated security as “a cost centre rather than a "
        "promise to customers.”",
        "Refunds will be [processed|paid] automatically within {small} working days, the company said.",
        "The problem [surfaced|emerged|appeared] shortly after midnight, when {thing} began posting "
        "screenshots of error messages online.",
    ),
    quotes=(
        "We let our customers down, and we are sorry",
        "This was not a sophisticated attack. It was a basic failure",
        "Everything worked perfectly in testing, which is exactly why testing is not enough",
        "People do not care how the technology works until it stops working",
        "We are asking for transparency, not perfection",
        "The rules were written for a different era of the internet",
        "Our priority is to make sure this cannot happen again",
        "Small firms cannot afford a day without payments",
        "I would expect more incidents like this, not fewer",
        "Every customer who was affected will be refunded in full",
    ),
    closers=(
        "{body} is expected to publish initial findings in {month}.",
        "{company} said it would provide a further update on {day2}.",
        "The company's annual meeting is scheduled for {month}.",
    ),
    captions=(
        "The headquarters of {company} in {city}. (Photo: {agency})",
        "Engineers at work in a data centre. (Photo: {agency})",
    ),
    extras={
        "the data breach": (
            "Consumer groups urged {thing} to change passwords and watch for unusual activity.",
            "The company said payment card numbers were stored separately and had not been exposed.",
        ),
    },
)


HEALTH = Topic(
    name="health",
    section="Health",
    weight=2,
    subjects=(
        dict(
            subject="waiting times for hip and knee operations",
            short="the backlog",
            label="surgery waiting times",
            body="the regional health board",
            thing="patients",
        ),
        dict(
            subject="this winter's flu vaccination campaign",
            short="the vaccination campaign",
            label="flu vaccinations",
            body="the public health agency",
            thing="older adults",
        ),
        dict(
            subject="a shortage of family doctors in rural areas",
            short="the shortage",
            label="the GP shortage",
            body="the college of general practitioners",
            thing="rural patients",
        ),
        dict(
            subject="a new walk-in mental health clinic",
            short="the clinic",
            label="mental health services",
            body="the hospital trust",
            thing="young people",
        ),
        dict(
            subject="a study linking sleep and heart health",
            short="the study",
            label="sleep and heart health",
            body="the university medical school",
            thing="participants",
        ),
    ),
    roles=(
        "chief medical officer for {city}",
        "the health minister",
        "a consultant at {city} General Hospital",
        "lead author of the study",
    ),
    critic_roles=(
        "a spokesperson for a patients' group",
        "a family doctor in {city2}",
        "a health economist at {city} University",
        "a union representative for nurses",
    ),
    headlines=(
        "{thing} face longer waits as pressure on {label} grows",
        "{body} sets out plan to tackle {short}",
        "New figures shed light on {label}",
        "{who_last} urges {thing} to act as winter approaches",
        "Campaigners call for urgent action on {label}",
    ),
    deks=(
        "Doctors in {city} say the figures match what they see every day.",
        "The plan promises quicker help for {thing}, but critics question the funding.",
        "Specialists say the next six months will be decisive for {label}.",
    ),
    leads=(
        "{thing} in {city} are facing [longer|lengthening] delays, according to figures on {subject} "
        "[published|released] by {body} on {day}.",
        "{body} on {day} set out a plan to [address|tackle|deal with] {subject}, promising an extra "
        "{money} over the next two years.",
        "Doctors have [welcomed|praised] {subject}, which [opened|launched] on {day} after {small} "
        "years of planning.",
    ),
    details=(
        "The figures show that {num} percent of {thing} waited longer than the target time in "
        "{month}, up from {num2} percent a year earlier.",
        "{who}, {role}, said staff were “working flat out” but that demand had [outstripped|"
        "outpaced|exceeded] capacity.",
        "The plan includes {hundreds} [additional|extra] appointments a week and a new booking system.",
        "{critic}, {critic_role}, said the money was welcome but “nowhere near enough to close the gap.”",
        "Hospital managers said {small} wards had been temporarily closed because of staff "
        "[sickness|absences|shortages].",
        "The health board has [recruited|hired] {hundreds} nurses from overseas since {year}.",
        "Patients' groups said people were increasingly paying for private treatment they could not "
        "[afford|really afford].",
        "A survey by the union found that {num} percent of nurses were [considering|thinking about] "
        "leaving the profession within {small} years.",
        "Officials said the new system would [allow|enable] {thing} to see a clinician within {small} days.",
        "Funding for {label} has [risen|increased|grown] by {pct} percent in real terms since {year}, "
        "according to {body}.",
        "Family doctors in {city2} said they were seeing more patients with complex needs than "
        "[ever|at any time they could remember].",
        "{critic_last} said prevention had been “the poor relation” of health spending for years.",
        "The minister said recruitment would be “the priority of priorities” for the coming year.",
        "Emergency departments in {city} [recorded|logged|saw] {big} visits in {month}, a record for "
        "the month.",
        "Charities have [offered|volunteered] to help run community sessions on {label} in {city}.",
        "Staff at {city} General Hospital said the pressure had [eased|lifted] only briefly over the summer.",
        "The board will [publish|release] monthly figures from {month} so that {thing} can track progress.",
        "Ambulance handover times in {city} averaged {num} minutes in {month}, [well above|far "
        "above|more than double] the target.",
    ),
    quotes=(
        "Behind every number on a waiting list is a person in pain",
        "We can build all the clinics we like, but we need the staff to run them",
        "The message is simple: if you are eligible, book your appointment",
        "People should not have to drive an hour to see a doctor",
        "The findings add to a growing body of evidence, but they are not the final word",
        "Young people have been telling us for years that they could not get help when they needed it",
        "We are asking staff to do more with less, and that cannot last",
        "It is a good start, but it is only a start",
        "Winter always tests the system, and this year will be no different",
        "We want to reach people before they reach a crisis",
    ),
    closers=(
        "{body} will publish updated figures in {month}.",
        "Services are open to anyone aged 16 or over, without an appointment.",
        "Further details will be published on {day2}.",
    ),
    captions=(
        "A nurse at {city} General Hospital. (Photo: {agency})",
        "A waiting room in central {city}. (Photo: {agency})",
    ),
    extras={
        "sleep and heart health": (
            "Researchers followed {big} adults for an average of {small} years, recording their "
            "sleep and health outcomes.",
            "Those who slept fewer than six hours a night had a {pct} percent higher risk, the "
            "authors reported, after adjusting for age and smoking.",
            "The study was observational and could not prove cause and effect, the authors cautioned.",
        ),
        "flu vaccinations": (
            "Pharmacies in {city} will offer walk-in appointments from {day2}, officials said.",
            "Uptake among {thing} reached {num} percent last year, below the target of 75 percent.",
        ),
        "mental health services": (
            "The clinic will be staffed by counsellors, nurses and a psychiatrist, and will open "
            "until 10pm on weekdays.",
        ),
    },
)


LIFE = Topic(
    name="lifestyle",
    section="Life",
    weight=2,
    subjects=(
        dict(
            subject="the rise of homes shared by three generations",
            short="the trend",
            label="multigenerational living",
            body="the statistics office",
            thing="grandparents",
        ),
        dict(
            subject="a waiting list for community garden plots",
            short="the waiting list",
            label="community gardens",
            body="the parks department",
            thing="gardeners",
        ),
        dict(
            subject="the return of the neighbourhood record shop",
            short="the revival",
            label="vinyl records",
            body="the music retailers' association",
            thing="collectors",
        ),
        dict(
            subject="a boom in swimming lessons for adults",
            short="the boom",
            label="adult swimming lessons",
            body="the swimming federation",
            thing="beginners",
        ),
        dict(
            subject="a festival of street food in the old harbour",
            short="the festival",
            label="the food festival",
            body="the tourism board",
            thing="stallholders",
        ),
    ),
    roles=(
        "a sociologist at {city} University",
        "founder of a community group in {city}",
        "owner of a shop in {city}",
        "a spokesperson for {body}",
    ),
    critic_roles=(
        "a family therapist in {city2}",
        "a longtime resident of {city}",
        "a columnist and author",
        "a volunteer organiser",
    ),
    headlines=(
        "Why {city} is falling for {label}",
        "Inside {city}'s love affair with {label}",
        "{thing} explain the appeal of {label}",
        "The quiet rise of {label}",
        "{who_last} on {label}: ‘It changes how you see your neighbours’",
    ),
    deks=(
        "Interest in {label}, once seen as old-fashioned, is drawing a new crowd.",
        "We spent a week with {thing} in {city} to find out why.",
        "Figures from {body} suggest this is more than a passing fad.",
    ),
    leads=(
        "On a [bright|crisp|grey] {day} morning in {city}, the signs of {subject} are easy to spot, "
        "and the people behind it say they are only [getting started|just beginning].",
        "Figures from {body} point to {subject}, with numbers up by {pct} percent since {year}.",
        "When {who} first noticed {subject}, it seemed like a curiosity. Now it is part of "
        "[everyday|ordinary|daily] life in {city}.",
    ),
    details=(
        "{who}, {role}, said the change had been [gradual|slow] and then [sudden|rapid].",
        "Numbers [compiled|collected|gathered] by {body} show a rise of {pct} percent over {small} years.",
        "Many of those taking part are in their thirties and forties, and a [surprising|"
        "remarkable] number are retired.",
        "{critic}, {critic_role}, said the appeal was partly about [slowing down|taking time|switching off].",
        "Prices vary [widely|a lot], from free sessions in the park to courses that cost {money2} a term.",
        "In {city2}, a similar project now has a waiting list of {hundreds} names.",
        "Organisers said [about|around|roughly] {big} people had taken part since {month}.",
        "Some participants said they had discovered the idea through friends; others through social media.",
        "Local businesses have noticed too, with several cafés reporting [busier|livelier] weekends.",
        "The trend is not universal: in smaller towns, interest has been [flat|steady] since {year}.",
        "Volunteers meet on {day2} evenings to plan the coming season.",
        "{critic_last} said the best thing about it was that “nobody is an expert on day one.”",
        "The council has set aside {money2} to support new groups across {city}.",
        "Newcomers are welcomed with open arms, regulars say, and nobody asks about experience.",
        "Sociologists say the pandemic [accelerated|sped up] changes that were already under way.",
        "One regular, {person}, said the weekly routine had become “the anchor of my week.”",
        "Demand has been [strongest|highest] in the {ward} area, where many flats have no outdoor space.",
        "The first event of its kind in {city} was held in {year} and drew only a few dozen people.",
        "Families with young children make up [about|around|roughly] {num} percent of participants, "
        "organisers said.",
        "{body} expects numbers to keep [growing|rising|climbing] for at least another {small} years.",
        "[Several|A few] regulars said they had [made|found] close friends through the group.",
    ),
    quotes=(
        "It started as something to do on a Sunday and turned into a whole community",
        "People are craving something real that they can do with their hands",
        "You meet people you would never have met otherwise",
        "My grandmother would laugh at us for thinking this is new",
        "It is not about being the best. It is about turning up",
        "There is something lovely about doing this in public, with strangers",
        "We are not nostalgic. We just think some old things were good",
        "I came for the activity and stayed for the people",
        "It is the most fun I have had in years",
        "Every week there is someone new, and that keeps it fresh",
    ),
    closers=(
        "The next open day is on {day2}, and newcomers are welcome.",
        "Details are available from {body}.",
        "Organisers plan to expand to {small} more sites in {city} next year.",
    ),
    captions=(
        "A {day} gathering in {city}. (Photo: {agency})",
        "Regulars in the {ward} area. (Photo: {agency})",
    ),
    extras={
        "multigenerational living": (
            "For much of the last century, the nuclear family of two parents and their children was "
            "treated as the default household in {city}.",
            "Housing costs have done as much as culture to loosen the hold of the nuclear family, "
            "{critic_last} said.",
            "Many families said they had not rejected the nuclear family so much as outgrown it.",
            "Estate agents in {city} report rising demand for homes with a separate annexe for grandparents.",
        ),
    },
)

GENERIC = (
    "{who_last} [declined|refused] to comment further when contacted by {outlet_the} on {day2}.",
    "It is not the first time the question of {label} has drawn [attention|scrutiny]: a similar "
    "[dispute|row|debate] arose in {year} and took {small} months to [resolve|settle].",
    "Reaction on social media was [swift|immediate|quick], with thousands of posts about {label} in "
    "the hours after the news broke.",
    "{critic_last} said the public would need more [detail|information] before it could judge "
    "whether {short} was a success.",
    "Asked whether the timetable was realistic, {who_last} said it was “ambitious but achievable.”",
    "The story has been followed closely in {city}, where local radio [devoted|gave over] much of "
    "its {day} coverage to {label}.",
    "Figures [compiled|gathered] by {outlet_the} show that interest in {label} has [risen|grown] "
    "steadily since {month} {year}.",
    "People familiar with the discussions said a further announcement could come as early as {day2}.",
    "Not everyone agrees. {critic_last} said the focus on {label} risked [overshadowing|crowding "
    "out] other priorities.",
    "A spokesperson for {body} said it would “study the details carefully” before [responding|commenting].",
    "{who_last} first spoke publicly about {label} in {year} and has returned to the subject "
    "[repeatedly|several times|often] since.",
    "The episode has also [highlighted|exposed|underlined] how little reliable data is available, "
    "{critic_last} said.",
    "A poll of {big} adults in {month} found that {num} percent had heard of {short}, [though|but] "
    "far fewer could describe it in detail.",
    "{outlet_the} was unable to independently [verify|confirm] all of the figures cited.",
    "The timing matters: {month} is traditionally when {body} sets out its priorities for the year ahead.",
    "{who_last} and {critic_last} agreed on one point, that {label} would stay on the agenda for "
    "months to come.",
    "In a statement issued late on {day}, {body} said it “welcomed the constructive engagement” of "
    "all sides.",
    "{who_last} has been criticised in the past for the pace of decision-making, a charge that "
    "allies [reject|dispute].",
    "Several people [interviewed|consulted|contacted] for this article asked not to be named because "
    "they were not authorised to speak publicly.",
    "The debate echoes a row in {year}, when {city} found itself at the centre of a similar controversy.",
    "Those close to the process [caution|warn] that much could change before {month}.",
    "{critic_last} has written [extensively|widely] about {label} and served on an advisory panel in {year}.",
)

TOPICS = (ARMS, ECONOMY, SPORTS, LOCAL, TECH, HEALTH, LIFE)
_TOPIC_WEIGHTS = tuple(t.weight for t in TOPICS)


# --------------------------------------------------------------------------------------------------
# Story generation
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Story:
    """One generated article, before rendering to HTML."""

    n: int
    topic: str
    section: str
    outlet: str
    title: str
    dek: str
    author: str
    published: datetime
    caption: str | None
    paragraphs: tuple[str, ...]

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def _rng(n: int, purpose: str) -> random.Random:
    # String seeds are hashed with SHA-512, so the sequence is stable across runs and PYTHONHASHSEED.
    return random.Random(f"newsmon-devsite:{n}:{purpose}")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _last(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


_ALTERNATION = re.compile(r"\[([^\[\]]*)\]")
_CONTRACTIONS = {
    "it is": "it's",
    "is not": "isn't",
    "do not": "don't",
    "did not": "didn't",
    "have not": "haven't",
    "we are": "we're",
    "we have": "we've",
    "i have": "I've",
    "cannot": "can't",
    "will not": "won't",
    "there is": "there's",
    "that is": "that's",
    "i would": "I'd",
    "would not": "wouldn't",
}
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b", re.IGNORECASE)
# Per-outlet house style, so the same template reads differently on different sites.
_PERCENT_STYLE = {"Eastbrook Herald": " percent", "Coastline Courier": " per cent", "Northgate Post": "%"}


def _resolve(template: str, rng: random.Random) -> str:
    """Pick one option of every ``[a|b|c]`` group: shared templates then rarely share 5-grams."""
    return _ALTERNATION.sub(lambda m: rng.choice(m[1].split("|")), template)


def _speak(text: str, rng: random.Random) -> str:
    """Contract some phrases in a quote, as people talk."""

    def swap(m: re.Match[str]) -> str:
        if rng.random() < 0.5:
            return m[0]
        short = _CONTRACTIONS[m[0].lower()]
        return short[:1].upper() + short[1:] if m[0][:1].isupper() else short

    return _CONTRACTION_RE.sub(swap, text)


def generated_topic(n: int) -> str:
    """Ground-truth topic of generated article ``n`` (``"arms_control"`` or an everyday topic)."""
    return _topic(n).name


def _topic(n: int) -> Topic:
    return _rng(n, "topic").choices(TOPICS, weights=_TOPIC_WEIGHTS)[0]


def _frame(n: int) -> tuple[Topic, dict[str, str]]:
    """Topic and the slot values that stay fixed across one story (people, places, subject)."""
    topic = _topic(n)
    rng = _rng(n, "frame")
    city, city2, city3 = rng.sample(CITIES, 3)
    state1, state2 = rng.sample(STATES, 2)
    company, company2 = rng.sample(COMPANIES, 2)
    suffixes = rng.sample(TEAM_SUFFIXES, 3)
    # Distinct surnames: the story refers to people by surname after the first mention.
    who, critic, scorer, keeper = (f"{rng.choice(FIRST_NAMES)} {last}" for last in rng.sample(LAST_NAMES, 4))
    goals = rng.randint(1, 4)
    slots = dict(
        city=city,
        city2=city2,
        state1=state1,
        state2=state2,
        company=company,
        company2=company2,
        bank=rng.choice(BANKS),
        thinktank=rng.choice(THINK_TANKS),
        ward=rng.choice(WARDS),
        team=f"{city} {suffixes[0]}",
        rival=f"{city2} {suffixes[1]}",
        rival2=f"{city3} {suffixes[2]}",
        ground=rng.choice(GROUNDS),
        score=f"{goals}-{rng.randint(0, goals - 1)}",
        who=who,
        who_last=_last(who),
        critic=critic,
        critic_last=_last(critic),
        scorer=scorer,
        scorer_last=_last(scorer),
        keeper=keeper,
        day=rng.choice(WEEKDAYS),
        outlet=OUTLETS[n % len(OUTLETS)],
        venue=city,
        competition="the league",
    )
    slots["outlet_the"] = "the " + slots["outlet"]
    subject = rng.choice(topic.subjects)
    slots.update({k: v.format(**slots) for k, v in subject.items()})
    slots["role"] = rng.choice(topic.roles).format(**slots)
    slots["critic_role"] = rng.choice(topic.critic_roles).format(**slots)
    slots["title"] = _cap(rng.choice(topic.headlines).format(**slots, **_fresh(rng, slots)))
    return topic, slots


def _fresh(rng: random.Random, slots: dict[str, str]) -> dict[str, str]:
    """Slot values drawn anew for every sentence, so repeated templates rarely repeat verbatim."""
    num = rng.randint(12, 95)
    minute = rng.randint(3, 89)
    suffix = "th" if 10 <= minute % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(minute % 10, "th")
    return dict(
        num=str(num),
        num2=str(max(5, num + rng.randint(-9, 9))),
        small=str(rng.randint(2, 9)),
        small_word=rng.choice(SMALL_WORDS),
        pct=f"{rng.uniform(1.2, 29.0):.1f}",
        rate=f"{rng.uniform(0.4, 6.0):.2f}",
        rate2=f"{rng.uniform(0.4, 6.0):.2f}",
        year=str(rng.randint(2008, 2020)),
        year2=str(rng.randint(2023, 2027)),
        month=rng.choice(MONTHS),
        day2=rng.choice([d for d in WEEKDAYS if d != slots["day"]]),
        money=f"${rng.uniform(1.1, 95.0):.1f} million",
        money2=f"${rng.randint(4, 60) * 5}",
        big=f"{rng.randint(12, 480) * 100:,}",
        hundreds=str(rng.randint(3, 95) * 10),
        minute=f"{minute}{suffix}",
        ordinal=rng.choice(ORDINALS),
        person=_name(rng),
        vote=f"{rng.randint(7, 11)}-{rng.randint(2, 6)}",
        agency=rng.choice(AGENCIES),
    )


def headline(n: int) -> str:
    """Headline of generated article ``n`` (cheap: no body is generated)."""
    return _frame(n)[1]["title"]


def generate_story(n: int) -> Story:
    """The full generated article ``n``: ~600-1200 words in 12-30 paragraphs."""
    topic, slots = _frame(n)
    rng = _rng(n, "body")
    introduced: set[str] = set()
    percent = _PERCENT_STYLE[slots["outlet"]]

    def fmt(template: str) -> str:
        template = _resolve(template, rng)
        # Readers meet each speaker once by full name and role, then by surname, as in real copy.
        local = dict(slots)
        for key, role in (("who", "role"), ("critic", "critic_role")):
            full = f"{{{key}}}, {{{role}}},"
            if key in introduced:
                template = template.replace(full, f"{{{key}_last}}")
            elif full in template or f"{{{key}}}" in template:
                introduced.add(key)
            elif f"{{{key}_last}}" in template:
                local[f"{key}_last"] = f"{slots[key]}, {slots[role]},"
                introduced.add(key)
        text = template.format(**local, **_fresh(rng, slots))
        text = text.replace(",,", ",").replace(",.", ".").replace(" percent", percent)
        return _cap(text)

    def quote(text: str) -> str:
        key = rng.choice(("who", "critic"))
        if key not in introduced:
            introduced.add(key)
            return f"“{text},” said {slots[key]}, {slots['role' if key == 'who' else 'critic_role']}."
        last, outlet = slots[f"{key}_last"], slots["outlet_the"]
        return rng.choice(
            (
                f"“{text},” {last} said.",
                f"{last} said: “{text}.”",
                f"“{text},” {last} added.",
                f"“{text},” {last} told {outlet}.",
            )
        )

    def reported() -> str:
        speakers = topic.speakers + tuple(f"{{{key}_last}}" for key in sorted(introduced))
        return fmt(
            f"{rng.choice(speakers)} {rng.choice(VERBS)}{rng.choice(VERB_TAILS)} "
            f"{rng.choice(('that ', ''))}{rng.choice(topic.phrases)} "
            f"{rng.choice(topic.predicates)}{rng.choice(TAILS)}."
        )

    # Each story uses only about half of its topic's templates, and mixes in reported speech.
    generic = topic.generic or GENERIC
    templates = list(topic.details) + list(topic.extras.get(slots["label"], ())) + list(generic)
    rng.shuffle(templates)
    del templates[int(len(templates) * rng.uniform(0.55, 0.7)) :]
    quotes = list(topic.quotes)
    rng.shuffle(quotes)
    target = rng.randint(600, 1150)
    paragraphs = [fmt(rng.choice(topic.leads))]
    closer_template = rng.choice(topic.closers)
    words = len(paragraphs[0].split()) + len(closer_template.split())
    while words < target and (templates or quotes or words < 600):
        if quotes and len(paragraphs) % 3 == 0:
            said = _speak(quotes.pop().format(**slots, **_fresh(rng, slots)), rng)
            paragraph = quote(_cap(said.replace(" percent", percent)))
        else:
            parts = []
            for _ in range(rng.choice((1, 2, 2, 3))):
                parts.append(fmt(templates.pop()) if templates and rng.random() < 0.7 else reported())
            paragraph = " ".join(parts)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    paragraphs.append(fmt(closer_template))
    # ~15 stories a day from September 2021; the modulo keeps huge n inside datetime's range.
    published = datetime(2021, 9, 1, 6, tzinfo=UTC) + timedelta(
        minutes=97 * (n % 100_000) + rng.randint(0, 90)
    )
    caption = fmt(rng.choice(topic.captions)) if rng.random() < 0.7 else None
    return Story(
        n=n,
        topic=topic.name,
        section=topic.section,
        outlet=slots["outlet"],
        title=slots["title"],
        dek=fmt(rng.choice(topic.deks)),
        author=_name(rng),
        published=published,
        caption=caption,
        paragraphs=tuple(paragraphs),
    )


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render_article(n: int, base_url: str) -> str:
    """Generated article ``n`` as a complete news page with the usual site boilerplate."""
    s = generate_story(n)
    url = f"{base_url}/generated/article/{n}.html"
    iso = s.published.isoformat().replace("+00:00", "Z")
    nav = "".join(f'<li><a href="{base_url}/generated/section/{x.lower()}/">{x}</a></li>' for x in NAV)
    related = "".join(
        f'<li><a href="{base_url}/generated/article/{m}.html">{_e(headline(m))}</a></li>'
        for m in (n + 1, n + 2, n + 5, n + 11, n + 23)
    )
    body = [f"<p>{_e(p)}</p>" for p in s.paragraphs]
    # An inline "read more" box and an ad slot inside the article, as real news sites have.
    body.insert(
        min(3, len(body)),
        (
            f'<aside class="inline-related"><strong>Read more:</strong> '
            f'<a href="{base_url}/generated/article/{n + 3}.html">{_e(headline(n + 3))}</a></aside>'
        ),
    )
    body.insert(min(7, len(body)), '<div class="ad-slot" aria-hidden="true">Advertisement</div>')
    figure = ""
    if s.caption:
        figure = (
            f'<figure class="lead-image"><img src="{base_url}/generated/img/story-{n}.svg" '
            f'alt="" width="800" height="450"><figcaption>{_e(s.caption)}</figcaption></figure>'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(s.title)} | {_e(s.outlet)}</title>
<meta name="description" content="{_e(s.dek)}">
<meta name="author" content="{_e(s.author)}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(s.title)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{_e(s.outlet)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{s.section}">
</head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button>
<button>Manage settings</button></div>
<header class="site-header">
<a class="logo" href="{base_url}/generated/">{_e(s.outlet)}</a>
<nav class="main-nav"><ul>{nav}</ul></nav>
<form class="search" action="{base_url}/generated/search"><input name="q" placeholder="Search"></form>
</header>
<main>
<nav class="breadcrumbs"><a href="{base_url}/generated/">Home</a> &rsaquo;
<a href="{base_url}/generated/section/{s.section.lower()}/">{s.section}</a></nav>
<article class="story">
<h1 class="headline">{_e(s.title)}</h1>
<p class="standfirst">{_e(s.dek)}</p>
<div class="byline">By <a rel="author" href="{base_url}/generated/authors/{n}">{_e(s.author)}</a>
&middot; <time datetime="{iso}">{s.published:%B} {s.published.day}, {s.published:%Y %H:%M} UTC</time></div>
<ul class="share"><li><a href="#">Share on Facebook</a></li><li><a href="#">Share on X</a></li>
<li><a href="#">Email</a></li></ul>
{figure}
<div class="story-body">
{chr(10).join(body)}
</div>
<footer class="story-tags">Topics: <a href="#">{s.section}</a> <a href="#">{_e(s.outlet)}</a></footer>
</article>
<aside class="most-read"><h2>Most read</h2><ol>{related}</ol></aside>
<section class="newsletter"><h2>Get the morning briefing</h2>
<p>The day's top stories in your inbox before 7am. Free, and you can unsubscribe at any time.</p>
<form><input type="email" placeholder="Your email address"><button>Sign up</button></form></section>
</main>
<footer class="site-footer">
<ul><li><a href="#">About us</a></li><li><a href="#">Contact</a></li><li><a href="#">Advertise</a></li>
<li><a href="#">Privacy policy</a></li><li><a href="#">Terms of use</a></li><li><a href="#">Cookie
settings</a></li></ul>
<p>&copy; 2021 {_e(s.outlet)}. All rights reserved. Synthetic benchmark page {n}.</p>
</footer>
</body>
</html>
"""


def render_feed(base_url: str, start: int, count: int) -> str:
    """RSS 2.0 feed listing generated articles ``start`` .. ``start + count - 1``, newest first."""
    items = []
    for n in reversed(range(start, start + count)):
        s = generate_story(n)
        link = f"{base_url}/generated/article/{n}.html"
        items.append(
            f"<item><title>{_e(s.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
            f"<category>{s.section}</category><description>{_e(s.dek)}</description></item>"
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
<title>Generated benchmark feed ({start}-{start + count - 1})</title>
<link>{base_url}/generated/</link>
<description>Synthetic news stories served by newsmon's DevSite.</description>
<language>en</language>
{chr(10).join(items)}
</channel>
</rss>
"""


def status_page(code: int, phrase: str) -> str:
    """Tiny HTML body for error and ``/status/<code>`` responses."""
    return (
        f"<!DOCTYPE html>\n<html><head><title>{code} {_e(phrase)}</title></head>"
        f"<body><h1>{code} {_e(phrase)}</h1></body></html>\n"
    )


PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450" viewBox="0 0 800 450">'
    '<rect width="800" height="450" fill="#c9ced6"/><text x="400" y="232" font-family="sans-serif" '
    'font-size="28" text-anchor="middle" fill="#5b6270">photo</text></svg>\n'
)

_BIG_HEAD = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Oversized page</title>'
    b"</head><body><article><h1>Oversized page</h1>\n"
)
_BIG_TAIL = b"</article></body></html>\n"
_BIG_LINE = "<p>Filler paragraph {:09d}: this page exists to test the fetcher's size cap.</p>\n"


def big_page(size: int) -> tuple[int, Iterator[bytes]]:
    """A valid HTML page of exactly ``size`` bytes (or its minimal skeleton), as (length, chunks)."""
    fill = max(0, size - len(_BIG_HEAD) - len(_BIG_TAIL))
    line_len = len(_BIG_LINE.format(0))
    lines, spare = divmod(fill, line_len)

    def chunks() -> Iterator[bytes]:
        yield _BIG_HEAD
        per_chunk = 1000  # ~90 KB per write keeps memory flat for any size
        for first in range(0, lines, per_chunk):
            last = min(lines, first + per_chunk)
            yield "".join(_BIG_LINE.format(i) for i in range(first, last)).encode()
        yield b" " * spare  # whitespace between elements keeps the page valid at an exact length
        yield _BIG_TAIL

    return len(_BIG_HEAD) + fill + len(_BIG_TAIL), chunks()
