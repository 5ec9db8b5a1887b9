"""Every payments workflow, for worker registration and replay."""

from workflows.payments.fetch import FetchWorkflow
from workflows.payments.forward_bank_account import ForwardBankAccountWorkflow
from workflows.payments.initiation import PaymentInitiationWorkflow
from workflows.payments.install import InstallConnectorWorkflow
from workflows.payments.link import OpenBankingLinkWorkflow
from workflows.payments.open_banking_delete import OpenBankingDeleteWorkflow
from workflows.payments.reset import ResetConnectorWorkflow
from workflows.payments.uninstall import UninstallConnectorWorkflow
from workflows.payments.update_schedules import UpdateSchedulesWorkflow

WORKFLOWS: list[type] = [InstallConnectorWorkflow, FetchWorkflow, UninstallConnectorWorkflow,
                         UpdateSchedulesWorkflow, ResetConnectorWorkflow,
                         ForwardBankAccountWorkflow, PaymentInitiationWorkflow,
                         OpenBankingLinkWorkflow, OpenBankingDeleteWorkflow]
