"""How the demo's CSV files were made from the original UCI files (kept for provenance).

    python examples/prepare_data.py ADULT_DIR GERMAN_DIR

ADULT_DIR holds adult.data and adult.test; GERMAN_DIR holds german.data. Both data sets come
from the UCI Machine Learning Repository under CC BY 4.0 (see the README's "Data" section).
The output is gzip CSV with a header, readable category values and no other change, except
that German Credit is split 70/30 (stratified, seed 42) into training and test sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

HERE = Path(__file__).parent

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
                 "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
                 "income"]

GERMAN_COLUMNS = ["checking_account", "duration_months", "credit_history", "purpose", "credit_amount", "savings",
                  "employment_since", "instalment_rate_pct", "personal_status", "other_debtors", "residence_since",
                  "property", "age", "other_instalment_plans", "housing", "existing_credits", "job",
                  "people_liable", "telephone", "foreign_worker", "credit_risk"]

# Code book of the Statlog (German Credit Data) set.
GERMAN_CODES = {
    "A11": "below 0 DM", "A12": "0 to 200 DM", "A13": "200 DM or more", "A14": "no checking account",
    "A30": "no credits taken / all paid back", "A31": "all credits at this bank paid back",
    "A32": "existing credits paid back so far", "A33": "delays in the past", "A34": "critical account",
    "A40": "car (new)", "A41": "car (used)", "A42": "furniture / equipment", "A43": "radio / television",
    "A44": "domestic appliances", "A45": "repairs", "A46": "education", "A47": "vacation", "A48": "retraining",
    "A49": "business", "A410": "other",
    "A61": "below 100 DM", "A62": "100 to 500 DM", "A63": "500 to 1000 DM", "A64": "1000 DM or more",
    "A65": "unknown / none",
    "A71": "unemployed", "A72": "below 1 year", "A73": "1 to 4 years", "A74": "4 to 7 years", "A75": "7 years or more",
    "A91": "male, divorced / separated", "A92": "female, divorced / separated / married", "A93": "male, single",
    "A94": "male, married / widowed", "A95": "female, single",
    "A101": "none", "A102": "co-applicant", "A103": "guarantor",
    "A121": "real estate", "A122": "savings agreement / life insurance", "A123": "car or other",
    "A124": "unknown / none",
    "A141": "bank", "A142": "stores", "A143": "none",
    "A151": "rent", "A152": "own", "A153": "for free",
    "A171": "unemployed / unskilled non-resident", "A172": "unskilled resident", "A173": "skilled employee",
    "A174": "management / self-employed / highly qualified",
    "A191": "none", "A192": "yes, registered",
    "A201": "yes", "A202": "no",
}


def adult(folder: Path) -> None:
    def read(name: str, skip: int) -> pd.DataFrame:
        frame = pd.read_csv(folder / name, header=None, names=ADULT_COLUMNS, skipinitialspace=True,
                            skiprows=skip, na_values="?")
        frame["income"] = frame["income"].str.rstrip(".")  # adult.test's labels end with a period
        return frame

    out = HERE / "income-propensity" / "data"
    read("adult.data", 0).to_csv(out / "train.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    read("adult.test", 1).to_csv(out / "test.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})


def german(folder: Path) -> None:
    frame = pd.read_csv(folder / "german.data", sep=" ", header=None, names=GERMAN_COLUMNS)
    frame = frame.replace(GERMAN_CODES)
    frame["sex"] = frame["personal_status"].str.split(",").str[0]
    frame["credit_risk"] = frame["credit_risk"].map({1: "good", 2: "bad"})
    train, test = train_test_split(frame, test_size=0.3, stratify=frame["credit_risk"], random_state=42)
    out = HERE / "credit-risk" / "data"
    train.to_csv(out / "train.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    test.to_csv(out / "test.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})


if __name__ == "__main__":
    adult(Path(sys.argv[1]))
    german(Path(sys.argv[2]))
