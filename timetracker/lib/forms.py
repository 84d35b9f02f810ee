"""Form fields more than one app uses."""

from django import forms


class ThresholdsField(forms.CharField):
    """Alert thresholds typed as "50, 80, 100", kept as a sorted list of whole percentages."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(threshold) for threshold in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        thresholds = []
        for part in (piece.strip().removesuffix("%").strip() for piece in text.split(",")):
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(
                    '"%(part)s" is not a whole percentage; write thresholds like "50, 80, 100".',
                    code="invalid",
                    params={"part": part},
                )
            if not 0 < int(part) <= 1000:
                raise forms.ValidationError(
                    '"%(part)s" is out of range: thresholds run from 1 to 1000 %%.',
                    code="range",
                    params={"part": part},
                )
            thresholds.append(int(part))
        return sorted(set(thresholds))
