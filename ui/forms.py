"""Forms of the data-entry, targets and data-quality pages (choices are filled by the views from scoped querysets)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carbon.models import Target
from meters.services.imports import TIMESTAMP_FORMATS

#: Formats of the month column of value-added and output files (energy_platform.tabular.month_parse).
MONTH_FORMATS = [("%Y-%m", _("Month: 2025-03")), ("%Y/%m", _("Month: 2025/03")), ("%Y年%m月", _("Month: 2025年3月")),
                 ("%m/%Y", _("Month: 03/2025")), ("%Y%m", _("Month: 202503"))]

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
    """An upload and, for a vendor's or the utility's own layout, the mapping of its columns (saved as a named preset
    when a name is given; a chosen preset's mapping is used when the mapping is left empty)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=UPLOAD_KINDS)
    site = forms.IntegerField(label=_("Site (bills, readings; value added or output of one site)"), required=False,
                              widget=forms.Select)
    file = forms.FileField(label=_("CSV or XLSX file"))
    preset = forms.IntegerField(label=_("Saved mapping (preset)"), required=False, widget=forms.Select)
    # The mapping (meters.services.imports.import_mapping_clean checks it).
    timestamp_column = forms.CharField(label=_("Timestamp column"), required=False, max_length=100)
    timestamp_format = forms.ChoiceField(label=_("Timestamp (or month) format"),
                                         choices=TIMESTAMP_FORMATS + MONTH_FORMATS, required=False)
    timestamp_label = forms.ChoiceField(label=_("A timestamp labels its interval's"), required=False, choices=[
        ("start", _("start")), ("end", _("end (e.g. 00:15 for 00:00–00:15)"))])
    timezone = forms.CharField(label=_("Time zone of the file"), required=False, initial="Asia/Shanghai",
                               max_length=64)
    meter_column = forms.CharField(label=_("Meter column (one meter per row); for output, the product column"),
                                   required=False, max_length=100)
    site_column = forms.CharField(label=_("Site column (value added and output; empty: the site chosen above)"),
                                  required=False, max_length=100)
    value_column = forms.CharField(label=_("Value column"), required=False, max_length=100)
    columns = forms.CharField(label=_("Or one column per meter, a line each: column = meter [unit]"),
                              required=False, widget=forms.Textarea(attrs={"rows": 3}))
    unit = forms.CharField(label=_("Unit of the values (empty: the meter's unit)"), required=False, max_length=16)
    decimal_comma = forms.BooleanField(label=_("Decimal comma (1.234,5)"), required=False)
    save_preset = forms.CharField(label=_("Save this mapping as"), required=False, max_length=100)

    MAPPING_FIELDS = ("timestamp_column", "timestamp_format", "timestamp_label", "timezone", "meter_column",
                      "site_column", "value_column", "columns", "unit", "save_preset")

    def basic_fields(self):
        return [self[name] for name in ("kind", "site", "file", "preset", "decimal_comma")]

    def mapping_fields(self):
        return [self[name] for name in self.MAPPING_FIELDS]

    def clean_columns(self) -> list[dict]:
        out = []
        for number, line in enumerate(self.cleaned_data.get("columns", "").splitlines(), start=1):
            if not line.strip():
                continue
            column, sep, rest = line.partition("=")
            parts = rest.split()
            if not sep or not column.strip() or not parts or len(parts) > 2:
                raise forms.ValidationError(_("Line %(n)d: write column = meter, or column = meter unit.")
                                            % {"n": number})
            out.append({"column": column.strip(), "meter": parts[0], "unit": parts[1] if len(parts) > 1 else ""})
        return out

    def mapping(self) -> dict:
        """The mapping typed in, or {} when no column was named (then the preset's, or the plain layout)."""
        d = self.cleaned_data
        if not d.get("timestamp_column") and not d.get("columns"):
            return {}
        mapping = {"timestamp_column": d["timestamp_column"] or "ts",
                   "timestamp_format": d["timestamp_format"] or "iso",
                   "timestamp_label": d["timestamp_label"] or "start",
                   "timezone": d["timezone"] or "Asia/Shanghai", "unit": d["unit"],
                   "decimal_comma": d["decimal_comma"]}
        if d.get("columns"):
            mapping["columns"] = d["columns"]
        else:
            mapping["meter_column"] = d["meter_column"] or "meter"
            mapping["value_column"] = d["value_column"] or "value"
        return mapping

    def monthly_mapping(self, *, site_code: str = "") -> dict:
        """The mapping of a value-added or output file typed in (plants.services.monthly_mapping_clean), or {}: the
        timestamp column holds the month; the site is the site column's, or the site chosen in the form; for output
        the meter column holds the product; the per-meter columns of a wide file name a site or product each."""
        d = self.cleaned_data
        if not d.get("timestamp_column") and not d.get("columns"):
            return {}
        fmt = d["timestamp_format"]
        mapping: dict = {"month_column": d["timestamp_column"] or "month",
                         "month_format": fmt if fmt in dict(MONTH_FORMATS) else "%Y-%m",
                         "decimal_comma": d["decimal_comma"]}
        if d.get("site_column") or not site_code:
            mapping["site_column"] = d.get("site_column") or "site"
        else:
            mapping["site"] = site_code
        if d.get("columns"):
            mapping["columns"] = [{"column": c["column"], "code": c["meter"]} for c in d["columns"]]
            if d["kind"] == "economic":
                mapping.pop("site_column", None)
                mapping.pop("site", None)
            return mapping
        if d["kind"] == "production":
            mapping["product_column"] = d["meter_column"] or "product"
        elif d.get("meter_column") and "site_column" not in mapping:
            mapping["site_column"] = d["meter_column"]
            mapping.pop("site", None)
        mapping["value_column"] = d["value_column"] or "value"
        return mapping


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
