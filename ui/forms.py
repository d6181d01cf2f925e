"""Forms of the data-entry page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MonthlyValueForm(forms.Form):
    """A month's industrial value added of a site (10⁴ CNY) or output of a product."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("economic", _("Value added (10⁴ CNY)")),
                                                        ("production", _("Product output"))])
    target = forms.IntegerField(label=_("Site or product"), widget=forms.Select)
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=16, decimal_places=4)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("economic", _("Value added (10⁴ CNY)")),
                                                        ("production", _("Product output"))])
    file = forms.FileField(label=_("CSV or XLSX file"))


class EstimateForm(forms.Form):
    """An estimated reading for a gap; the reason is required and logged."""

    meter = forms.IntegerField(label=_("Meter id"))
    ts = forms.DateTimeField(label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    value = forms.FloatField(label=_("Value"))
    reason = forms.CharField(label=_("Reason"), max_length=300)
