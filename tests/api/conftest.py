def validate_bundle(bundle: dict):
    """Parse a bundle with fhir.resources' R4 (4.0.1) models; raises on anything invalid."""
    import fhir.resources
    from fhir.resources.bundle import Bundle

    assert fhir.resources.__fhir_version__ == "4.0.1"
    return Bundle.parse_obj(bundle)
