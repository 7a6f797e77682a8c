"""The shared policy-area taxonomy: opportunities are tagged with it and debriefs roll up into it.

Append to the list rather than renaming entries: the slugs are the stable keys.
"""

from django.utils.text import slugify

POLICY_AREAS = [
    ("Acute and emergency care", "A&E, ambulance handover, urgent and emergency care pathways."),
    ("Hospital discharge and patient flow", "Getting people home from hospital safely and on time."),
    ("Adult social care", "Care at home, care homes, commissioning and the care market."),
    ("Mental health", "Community, crisis and inpatient mental health services."),
    ("Primary care", "General practice, pharmacy, dentistry and community services."),
    ("Public health and prevention", "Screening, vaccination, healthy behaviours and prevention."),
    ("Children and young people", "Services for children, young people and families."),
    ("Workforce", "Recruitment, retention, training and wellbeing of staff."),
    ("Digital, data and technology", "Records, systems, data sharing and digital services."),
    ("Health inequalities", "Unequal outcomes and access between groups and places."),
    ("Integrated care", "Health, care and local partners working as one system."),
    ("End of life care", "Palliative care, hospices and dying well."),
    (
        "Learning disability and autism",
        "Support and services for autistic people and people with a learning disability.",
    ),
    ("Drugs and alcohol", "Treatment, recovery and harm reduction."),
    ("Housing and homelessness", "Housing need, rough sleeping and supported housing."),
    ("Policing and community safety", "Neighbourhood policing, vulnerability and public protection."),
    ("Justice and rehabilitation", "Courts, probation, prisons and reducing reoffending."),
    ("Emergency preparedness", "Resilience, civil contingencies and winter pressures."),
    ("Education and skills", "Schools, further education and skills."),
    ("Voluntary and community sector", "Charities, volunteers and community organisations."),
]


def policy_areas_seed() -> int:
    """Create any policy area of the list that is missing; returns how many were created."""
    from placements.models import Theme

    created = 0
    for name, description in POLICY_AREAS:
        _, was_created = Theme.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "description": description}
        )
        created += was_created
    return created
