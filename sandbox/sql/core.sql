-- Core banking (ComprehensiveWekezaApi), PostgreSQL: the tables the Enterprise Brain reads.
-- A copy of the source system's own DDL (quoted PascalCase, uuid keys made by the app).

CREATE TABLE "Customers" (
    "Id"                   uuid PRIMARY KEY,
    "CustomerNumber"       varchar(20)  NOT NULL UNIQUE,
    "FirstName"            varchar(100) NOT NULL,
    "MiddleName"           varchar(100),
    "LastName"             varchar(100) NOT NULL,
    "Email"                varchar(200) UNIQUE,
    "IdentificationNumber" varchar(50)  UNIQUE,
    "DateOfBirth"          timestamp,
    "Gender"               varchar(20),
    "Nationality"          varchar(100) DEFAULT 'Kenyan',
    "PrimaryPhone"         varchar(20),
    "SecondaryPhone"       varchar(20),
    "Status"               varchar(20)  NOT NULL DEFAULT 'Active',
    "KYCStatus"            varchar(20)  NOT NULL DEFAULT 'Pending',
    "AMLRiskRating"        varchar(20)  NOT NULL DEFAULT 'Low',
    "CreatedAt"            timestamptz  NOT NULL DEFAULT now(),
    "UpdatedAt"            timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE "Accounts" (
    "Id"               uuid PRIMARY KEY,
    "AccountNumber"    varchar(50)   NOT NULL UNIQUE,
    "CustomerId"       uuid          NOT NULL REFERENCES "Customers" ("Id"),
    "AccountType"      varchar(50)   NOT NULL DEFAULT 'Savings',
    "Currency"         varchar(3)    NOT NULL DEFAULT 'KES',
    "Balance"          numeric(18,2) NOT NULL DEFAULT 0,
    "AvailableBalance" numeric(18,2) NOT NULL DEFAULT 0,
    "Status"           varchar(20)   NOT NULL DEFAULT 'Active',
    "IsFrozen"         boolean       NOT NULL DEFAULT false,
    "IsClosed"         boolean       NOT NULL DEFAULT false,
    "ClosedAt"         timestamptz,
    "CreatedAt"        timestamptz   NOT NULL DEFAULT now(),
    "UpdatedAt"        timestamptz   NOT NULL DEFAULT now()
);

-- Insert-only: "ProcessedAt" is the only change marker.
CREATE TABLE "Transactions" (
    "Id"              uuid PRIMARY KEY,
    "AccountId"       uuid          NOT NULL REFERENCES "Accounts" ("Id"),
    "Type"            varchar(20)   NOT NULL,
    "Amount"          numeric(18,2) NOT NULL,
    "Currency"        varchar(3)    NOT NULL DEFAULT 'KES',
    "PreviousBalance" numeric(18,2),
    "NewBalance"      numeric(18,2),
    "Status"          varchar(20)   NOT NULL DEFAULT 'Completed',
    "Reference"       varchar(100)  NOT NULL UNIQUE,
    "Description"     varchar(500),
    "ProcessedAt"     timestamptz   NOT NULL DEFAULT now(),
    "ProcessedBy"     varchar(100)
);

CREATE TABLE "Loans" (
    "Id"                 uuid PRIMARY KEY,
    "LoanNumber"         varchar(50)   NOT NULL UNIQUE,
    "CustomerId"         uuid          NOT NULL REFERENCES "Customers" ("Id"),
    "AccountId"          uuid          REFERENCES "Accounts" ("Id"),
    "PrincipalAmount"    numeric(18,2) NOT NULL,
    "OutstandingBalance" numeric(18,2) NOT NULL DEFAULT 0,
    "InterestRate"       numeric(5,2)  NOT NULL,
    "TermInMonths"       integer       NOT NULL,
    "Currency"           varchar(3)    NOT NULL DEFAULT 'KES',
    "Status"             varchar(20)   NOT NULL DEFAULT 'Pending',
    "RiskGrade"          varchar(10),
    "DisbursedAt"        timestamptz,
    "MaturityDate"       timestamptz,
    "NextPaymentDate"    timestamptz,
    "CreatedAt"          timestamptz   NOT NULL DEFAULT now(),
    "UpdatedAt"          timestamptz   NOT NULL DEFAULT now()
);
