"""The system description a compliance officer fills in (YAML or JSON).

Fields are the facts the rules need and nothing else; every field has a description so
``accord assess validate`` and ``accord assess schema`` can explain it. Unknown fields are
refused (a misspelt ``emotion_recogniton`` must not silently read as ``false``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Jurisdiction = Literal["eu", "cn", "us", "uk", "other"]
Role = Literal["provider", "deployer", "importer", "distributor"]
Modality = Literal["text", "image", "audio", "video", "code"]
Context = Literal[
    "workplace",
    "education",
    "publicly_accessible_spaces",
    "law_enforcement",
    "migration_border",
    "justice",
    "healthcare",
    "financial_services",
    "critical_infrastructure",
    "public_administration",
]
BiometricId = Literal["none", "verification", "remote_post", "remote_realtime"]
Derogation = Literal[
    "narrow_procedural_task",
    "improves_prior_human_activity",
    "detects_decision_patterns",
    "preparatory_task",
]
# Annex III use cases (Regulation (EU) 2024/1689, Annex III; ids as in frameworks.md §1.4).
AnnexIII = Literal[
    "a3-1a", "a3-1b", "a3-1c", "a3-2",
    "a3-3a", "a3-3b", "a3-3c", "a3-3d",
    "a3-4a", "a3-4b",
    "a3-5a", "a3-5b", "a3-5c", "a3-5d",
    "a3-6a", "a3-6b", "a3-6c", "a3-6d", "a3-6e",
    "a3-7a", "a3-7b", "a3-7c", "a3-7d",
    "a3-8a", "a3-8b",
]  # fmt: skip
# Art 5(1)(h)(i)-(iii): the three objectives for which a Member State may allow real-time RBI.
RbiObjective = Literal["none", "victims_missing_persons", "imminent_threat", "criminal_suspect"]
RbiAuthorisation = Literal["none", "prior", "urgency_requested", "rejected"]
# Decisions the US state and city laws key on (Colorado "consequential decision", CCPA
# "significant decision", NYC "employment decision" = hiring or promotion only).
DecisionType = Literal[
    "hiring", "promotion", "other_employment", "education", "housing", "credit",
    "insurance", "healthcare", "essential_government_services", "legal_services",
]  # fmt: skip
# How far the output bears on the decision: 'assists' = a minor (de-minimis) factor;
# 'material' = a non-de-minimis factor that ranks, scores or meaningfully alters the outcome
# (Colorado SB 26-189 "materially influences"); 'replaces' = replaces or substantially
# replaces human decision-making (CCPA ADMT regulations).
DecisionInfluence = Literal["assists", "material", "replaces"]
UsCity = Literal["NYC"]
AnnexILegislation = Literal[
    "machinery", "toys", "recreational_craft", "lifts", "atex", "radio_equipment",
    "pressure_equipment", "cableways", "ppe", "gas_appliances", "medical_devices", "ivd",
    "civil_aviation", "motor_vehicles", "two_three_wheel_vehicles", "agricultural_vehicles",
    "marine_equipment", "rail", "other",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_states(v: list[str]) -> list[str]:
    """Two-letter upper-case codes: 'california' or 'ca' must not silently match nothing."""
    for s in v:
        if len(s) != 2 or not s.isalpha() or not s.isupper():
            raise ValueError(f"expected two-letter upper-case state codes like 'CA', got {s!r}")
    return v


class Organisation(_Strict):
    name: str = Field(default="", description="Legal name of the organisation filling this in.")
    established_in: Jurisdiction = Field(default="other", description="Where the organisation is established.")
    annual_revenue_usd: float | None = Field(default=None, ge=0, description="Annual gross revenue in USD (California SB 53 / NY RAISE 'large developer' test).")
    sme: bool = Field(default=False, description="SME or start-up (EU AI Act Art 99(6): the lower fine ceiling applies).")
    public_authority: bool = Field(default=False, description="A public authority or body (Annex III 5(a); Art 27 FRIA; Texas TRAIGA 'governmental entity').")
    us_states: list[str] = Field(default_factory=list, description="US states where the organisation (as developer or deployer) is established or does business, two-letter codes (Colorado 'doing business in this state'; NY RAISE 'developed in New York').")
    employees: int | None = Field(default=None, ge=0, description="Full-time-equivalent employees (Colorado SB 24-205 small-deployer test: fewer than 50).")
    ccpa_business: bool | None = Field(default=None, description="Meets the CCPA definition of a 'business' (California ADMT regulations); unknown = screened as if it does.")
    regulated_occupation: bool = Field(default=False, description="Provides services of an occupation licensed or certified by the state (Utah AI Policy Act disclosure duty).")

    @field_validator("us_states")
    @classmethod
    def _state_codes(cls, v: list[str]) -> list[str]:
        return _check_states(v)


class Deployment(_Strict):
    jurisdictions: list[Jurisdiction] = Field(default_factory=list, description="Markets where the system is placed on the market or put into service.")
    users_in: list[Jurisdiction] = Field(default_factory=list, description="Where the system's users are, or where its output is used.")
    public_facing: bool = Field(default=False, description="Offered to the general public (China's Interim Measures cover only public services).")
    contexts: list[Context] = Field(default_factory=list, description="Settings of use (workplace, education, law enforcement, ...).")
    us_states: list[str] = Field(default_factory=list, description="US states where it is offered (two-letter codes), if known.")
    affected_us_states: list[str] = Field(default_factory=list, description="US states where the people the system decides about live or work (candidates, employees, consumers), two-letter codes.")
    us_cities: list[UsCity] = Field(default_factory=list, description="US cities with their own AI law where affected people live (NYC: Local Law 144).")
    placed_on_market: date | None = Field(default=None, description="Date first placed on the market or put into service (EU transitional rules Art 111).")
    significant_design_change_on: date | None = Field(default=None, description="Date of the latest significant change in the system's design since it was first placed on the market (Art 111(2): a legacy high-risk system is caught only by such a change).")
    used_by_public_authorities: bool = Field(default=False, description="Intended to be used by public authorities (Art 111(2): legacy high-risk systems must comply by 2030-08-02).")
    decision_types: list[DecisionType] = Field(default_factory=list, description="Decisions about people the system makes or bears on (employment, credit, housing, ...: Colorado, NYC LL 144, Illinois, CCPA ADMT).")
    decision_influence: DecisionInfluence | None = Field(default=None, description="'assists' (minor factor), 'material' (non-de-minimis factor that ranks, scores or alters the outcome) or 'replaces' (replaces or substantially replaces human decision-making).")

    @field_validator("us_states", "affected_us_states")
    @classmethod
    def _state_codes(cls, v: list[str]) -> list[str]:
        return _check_states(v)


class Capabilities(_Strict):
    interacts_with_people: bool = Field(default=False, description="Interacts directly with natural persons (EU Art 50(1)).")
    generates: list[Modality] = Field(default_factory=list, description="Synthetic content it generates (EU Art 50(2); China labelling).")
    deep_fakes: bool = Field(default=False, description="The deployer publishes image/audio/video deep fakes of real people, places or events (EU Art 50(4)).")
    public_interest_text: bool = Field(default=False, description="Generated text is published to inform the public on matters of public interest (EU Art 50(4)).")
    human_editorial_review: bool = Field(default=False, description="Published generated text undergoes human review with editorial responsibility (Art 50(4) exception).")
    emotion_recognition: bool = Field(default=False, description="Infers emotions or intentions of natural persons from biometric data.")
    biometric_categorisation: bool = Field(default=False, description="Assigns people to categories from biometric data.")
    biometric_identification: BiometricId = Field(default="none", description="'verification' (1:1, confirms a claimed identity), 'remote_post' or 'remote_realtime' identification.")
    profiling: bool = Field(default=False, description="Profiles natural persons in the sense of GDPR Art 4(4) (Art 6(3) override).")
    recommendation: bool = Field(default=False, description="Recommends, ranks or filters information for users (China algorithm-recommendation provisions).")
    public_opinion_attributes: bool = Field(default=False, description="Has public-opinion attributes or social-mobilisation capacity (China Interim Measures Art 17).")
    sensitive_data_or_advice: bool = Field(default=False, description="Collects sensitive personal data (health, financial, biometric) or gives personalised advice people may rely on for significant decisions in finance, law, medicine or mental health (Utah 'high-risk AI interaction').")


class Practices(_Strict):
    """Art 5 screening questions: answer honestly; a 'true' yields a flag for legal review."""

    subliminal_or_manipulative: bool = Field(default=False, description="Uses subliminal, purposefully manipulative or deceptive techniques that may cause significant harm (Art 5(1)(a)).")
    exploits_vulnerabilities: bool = Field(default=False, description="Exploits vulnerabilities due to age, disability or social/economic situation (Art 5(1)(b)).")
    social_scoring: bool = Field(default=False, description="Scores people on social behaviour or personal traits leading to detrimental treatment (Art 5(1)(c)).")
    crime_prediction_profiling_only: bool = Field(default=False, description="Predicts a person's risk of offending based solely on profiling or traits (Art 5(1)(d)).")
    untargeted_face_scraping: bool = Field(default=False, description="Builds facial-recognition databases by untargeted scraping (Art 5(1)(e)).")
    sensitive_attribute_inference: bool = Field(default=False, description="Infers race, political opinions, union membership, religion, sex life or orientation from biometric data (Art 5(1)(g)).")
    medical_or_safety_purpose: bool = Field(default=False, description="Emotion inference is for medical or safety reasons (Art 5(1)(f) exception).")
    intimate_imagery_of_real_people: bool = Field(default=False, description="Can generate realistic intimate or sexually explicit imagery of identifiable people (new Art 5(1)(ba)).")
    child_sexual_abuse_material: bool = Field(default=False, description="Can generate child sexual abuse material (new Art 5(1)(bb)).")


class LawEnforcementRbi(_Strict):
    """How a real-time remote biometric identification use meets Art 5(1)(h) and 5(2)-(7).

    Without these facts an authorised use reads the same as an unlawful one; with them the
    Art 5(1)(h) flag can show the exception and the conditions that come with it.
    """

    objective: RbiObjective = Field(default="none", description="Art 5(1)(h) objective: victims_missing_persons (i), imminent_threat (ii: threat to life or terrorist attack), criminal_suspect (iii: Annex II offence).")
    annex_ii_offence: bool = Field(default=False, description="For criminal_suspect: an Annex II offence punishable in the Member State by a custodial sentence of at least four years (Art 5(1)(h)(iii)).")
    member_state_law: bool = Field(default=False, description="The Member State has a national law allowing this use (Art 5(5)); without one no exception is available.")
    authorisation: RbiAuthorisation = Field(default="none", description="'prior' (granted by a judicial or independent administrative authority, Art 5(3)), 'urgency_requested' (use started in a duly justified urgency, authorisation requested afterwards), 'rejected'.")
    authorisation_requested_within_hours: float | None = Field(default=None, ge=0, description="Urgency procedure: hours after the start of use at which authorisation was requested (Art 5(3): at the latest within 24 hours).")
    fria_completed: bool = Field(default=False, description="A fundamental-rights impact assessment under Art 27 was completed (Art 5(2)).")
    registered: bool = Field(default=False, description="The system is registered in the EU database under Art 49 (Art 5(2); in urgency, without undue delay).")


class HighRisk(_Strict):
    """Inputs to the EU high-risk classification (Art 6, Annexes I and III)."""

    annex_iii: list[AnnexIII] = Field(default_factory=list, description="Annex III use cases the intended purpose falls under (ids a3-1a ... a3-8b).")
    annex_i_legislation: AnnexILegislation | None = Field(default=None, description="Annex I harmonisation legislation covering the product, if any.")
    annex_i_safety_component: bool = Field(default=False, description="The system is the product, or a safety component of it (Art 6(1)(a)).")
    annex_i_third_party_assessment: bool = Field(default=False, description="The product needs third-party conformity assessment (Art 6(1)(b)).")
    no_significant_risk: bool = Field(default=False, description="Art 6(3): the provider has assessed that it poses no significant risk of harm.")
    derogation_conditions: list[Derogation] = Field(default_factory=list, description="Art 6(3)(a)-(d) conditions the provider relies on.")

    @model_validator(mode="after")
    def _derogation_needs_both(self) -> HighRisk:
        if self.derogation_conditions and not self.no_significant_risk:
            raise ValueError(
                "derogation_conditions are set but no_significant_risk is false: the Art 6(3) derogation needs both"
            )
        return self


class TrainingRun(_Strict):
    """The training run, when compute is not known directly (hardware estimate)."""

    gpus: int = Field(..., gt=0, description="Number of accelerators.")
    gpu_type: str = Field(..., min_length=1, description="Accelerator name from 'accord compute chips' (e.g. H100).")
    days: float = Field(..., gt=0, description="Wall-clock training days.")
    utilization: float | None = Field(default=None, gt=0, le=1, description="Model FLOP utilisation; unknown = range 0.3-0.5.")
    precision: str = Field(default="bf16", description="Training precision (bf16, fp16, fp8, ...).")


class Model(_Strict):
    """The model inside the system (own or third-party)."""

    name: str = Field(default="", description="Model name and version.")
    general_purpose: bool = Field(default=False, description="Is, or embeds, a general-purpose AI model (Art 3(63)).")
    developer: bool = Field(default=False, description="You trained the model (or modified it with > 1/3 of its compute) and place it on the market: you are its provider.")
    training_compute_flop: float | None = Field(default=None, gt=0, description="Cumulative training compute in FLOP, if known.")
    parameters: float | None = Field(default=None, gt=0, description="Parameter count (active parameters for mixture-of-experts).")
    training_tokens: float | None = Field(default=None, gt=0, description="Training tokens.")
    training_run: TrainingRun | None = Field(default=None, description="Hardware used, for an estimate when compute and 6ND inputs are missing.")
    open_weights: bool = Field(default=False, description="Weights are publicly downloadable.")
    open_source_licence: bool = Field(default=False, description="Free and open-source licence with weights, architecture and usage information public (Art 53(2)).")
    biological_sequence_data: bool = Field(default=False, description="Trained primarily on biological sequence data (EO 14110 s.4.2(b)(i)).")
    systemic_risk_designated: bool = Field(default=False, description="Designated by the Commission as a GPAI model with systemic risk (Art 51(1)(b)).")
    placed_on_market: date | None = Field(default=None, description="Date the model was first placed on the EU market (Art 111(3)).")


class SystemDescription(_Strict):
    """One AI system, as a compliance officer describes it."""

    schema_version: Literal[1] = Field(default=1, description="Version of this schema.")
    name: str = Field(..., min_length=1, description="Name of the AI system.")
    intended_purpose: str = Field(default="", description="The intended purpose in the provider's words (Art 3(12)).")
    roles: list[Role] = Field(..., min_length=1, description="Your roles for this system.")
    organisation: Organisation = Field(default_factory=Organisation)
    deployment: Deployment = Field(default_factory=Deployment)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    practices: Practices = Field(default_factory=Practices)
    law_enforcement_rbi: LawEnforcementRbi = Field(default_factory=LawEnforcementRbi)
    high_risk: HighRisk = Field(default_factory=HighRisk)
    model: Model = Field(default_factory=Model)


# ---- checks across sections ------------------------------------------------------------------


FieldPath = tuple[str, ...]


def cross_field_problems(system: SystemDescription) -> list[tuple[FieldPath, str, str | None, object]]:
    """Contradictions between fields, as (path, message, expected, got).

    Pydantic checks each field alone; these need two fields together. They are returned, not
    raised, so the loader can point at the exact field and line of each one.
    """
    out: list[tuple[FieldPath, str, str | None, object]] = []
    rbi, d = system.law_enforcement_rbi, system.deployment
    if rbi.objective != "none" and system.capabilities.biometric_identification != "remote_realtime":
        out.append((("law_enforcement_rbi", "objective"),
                    "an Art 5(1)(h) objective only applies to real-time remote biometric identification",
                    "capabilities.biometric_identification: remote_realtime, or objective: none", rbi.objective))  # fmt: skip
    if rbi.authorisation == "urgency_requested" and rbi.authorisation_requested_within_hours is None:
        out.append((("law_enforcement_rbi", "authorisation_requested_within_hours"),
                    "the urgency procedure needs the hours after the start of use at which authorisation was requested",
                    "a number of hours (Art 5(3): at the latest 24)", None))  # fmt: skip
    if rbi.authorisation_requested_within_hours is not None and rbi.authorisation != "urgency_requested":
        out.append((("law_enforcement_rbi", "authorisation_requested_within_hours"),
                    "only meaningful for the urgency procedure", "authorisation: urgency_requested", rbi.authorisation))  # fmt: skip
    if rbi.annex_ii_offence and rbi.objective != "criminal_suspect":
        out.append((("law_enforcement_rbi", "annex_ii_offence"),
                    "only meaningful for the Art 5(1)(h)(iii) objective", "objective: criminal_suspect", rbi.objective))  # fmt: skip
    change = d.significant_design_change_on
    if change is not None and d.placed_on_market is None:
        out.append((("deployment", "significant_design_change_on"),
                    "a design change needs the date the system was first placed on the market",
                    "deployment.placed_on_market as well", change.isoformat()))  # fmt: skip
    elif change is not None and d.placed_on_market is not None and change < d.placed_on_market:
        out.append((("deployment", "significant_design_change_on"),
                    "the design change is dated before the system was first placed on the market",
                    f"a date on or after {d.placed_on_market.isoformat()}", change.isoformat()))  # fmt: skip
    if d.decision_types and d.decision_influence is None:
        out.append((("deployment", "decision_influence"),
                    "decision_types are given but not how far the system bears on them",
                    "assists, material or replaces", None))  # fmt: skip
    if d.decision_influence is not None and not d.decision_types:
        out.append((("deployment", "decision_types"),
                    "decision_influence is given but no decision type",
                    "a list such as [hiring, credit]", []))  # fmt: skip
    return out
