"""Forms of the data-entry, targets and data-quality pages (choices are filled by the views from scoped querysets)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carbon.models import Target

MONTH = {"input_formats": ["%Y-%m"], "widget": forms.DateInput(attrs={"type": "month"}, format="%Y-%m")}
DAY = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class MonthlyValueForm(forms.Form):
    """A month's industrial value added of a site (10⁴ CNY) or output of a product."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("economic", _("Value added (10⁴ CNY)")),
                                                        ("production", _("Product output"))])
    # "site-<pk>" or "product-<pk>": sites and products are different tables, so a bare id would name a site for
    # value added and a product for output (product 1 "RM1 / REBAR" was saved as site 1's value added).
    target = forms.ChoiceField(label=_("Site or product"))
    month = forms.DateField(label=_("Month"), **MONTH)
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=16, decimal_places=4)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    # The version the user saw in the overwrite confirmation (old -> new); a stored value is replaced only with it.
    confirm_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        kind, target = data.get("kind"), data.get("target") or ""
        if kind and target and not target.startswith("site-" if kind == "economic" else "product-"):
            self.add_error("target", _("Value added is entered for a site, not a product.") if kind == "economic"
                           else _("Output is entered for a product, not a site."))
        return data


class BillForm(forms.Form):
    """A bill or a fuel purchase (electricity invoice, coal or diesel delivery) for an interval meter."""

    meter = forms.IntegerField(label=_("Meter"), widget=forms.Select)
    period_start = forms.DateField(label=_("Period start"), **DAY)
    period_end = forms.DateField(label=_("Period end (inclusive)"), **DAY)
    quantity = forms.DecimalField(label=_("Quantity (meter unit)"), min_value=0, max_digits=20, decimal_places=4)
    amount_cny = forms.DecimalField(label=_("Amount (CNY)"), required=False, min_value=0, max_digits=16,
                                    decimal_places=2)
    document_no = forms.CharField(label=_("Document number"), required=False, max_length=64)

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


UPLOAD_KINDS = [("economic", _("Value added (10⁴ CNY)")), ("production", _("Product output")),
                ("bills", _("Bills and fuel purchases")), ("readings", _("Meter readings"))]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UPLOAD_KINDS)
    site = forms.IntegerField(label=_("Site (bills and readings)"), required=False, widget=forms.Select)
    file = forms.FileField(label=_("CSV or XLSX file"))


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=Target.Indicator.choices)
    site = forms.IntegerField(label=_("Site (empty: the whole enterprise)"), required=False, widget=forms.Select)
    baseline_year = forms.IntegerField(label=_("Baseline year"), min_value=2000, max_value=2100)
    baseline_value = forms.DecimalField(label=_("Baseline value (empty: computed from the baseline year)"),
                                        required=False, max_digits=18, decimal_places=6, min_value=0)
    target_year = forms.IntegerField(label=_("Target year"), min_value=2000, max_value=2100)
    reduction_pct = forms.DecimalField(label=_("Reduction (%)"), max_digits=6, decimal_places=2, min_value=0,
                                       max_value=100)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("baseline_year") and data.get("target_year") and data["target_year"] <= data["baseline_year"]:
            self.add_error("target_year", _("The target year must come after the baseline year."))
        return data


class EstimateForm(forms.Form):
    """An estimated reading for a gap; the reason is required and logged."""

    meter = forms.IntegerField(label=_("Meter"), widget=forms.Select)
    ts = forms.DateTimeField(label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    value = forms.FloatField(label=_("Value"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class GapFillForm(forms.Form):
    """A range of a meter to fill with estimates in one action (linear for registers, weekday profile otherwise)."""

    meter = forms.IntegerField(label=_("Meter"), widget=forms.Select)
    start = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("To"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Reason"), max_length=300)
