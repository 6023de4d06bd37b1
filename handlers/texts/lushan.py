"""The texts of Lushan's applications for a certificate (processes/*.bpmn): the window, the hospitals, the
villages' publicity, the expert committee and the applicant."""

from __future__ import annotations

from .template import Template

TEMPLATES: dict[str, Template] = {
    "arrival": Template(
        label="新申请到达，提醒残联窗口预审",
        recipient_role="window_clerk",
        group="window",
        text="新的残疾人证申请待预审：案件号{case_no}，申请人{applicant_name}。",
    ),
    "received": Template(
        label="告知申请人申请已收到和案件编号",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请已收到，案件编号{case_no}。"
            "凭案件编号和身份证号码可在网上查询办理进度；忘记案件编号的，可凭身份证号码和发到本手机的验证码查询。"
        ),
    ),
    "routed": Template(
        label="申请已分派至定点医院",
        recipient_role="hospital",
        group_field="site[group]",
        text="有一件残疾评定业务已分派至贵院：案件号{case_no}，评定类别{site_parts}。请登录系统登记并预约评定。",
    ),
    "appointment": Template(
        label="告知申请人评定时间、地点和所需材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定已预约：时间{appointment_time}，地点{appointment_place}。"
            "请携带：{bring_items_text}。"
        ),
    ),
    "rejected": Template(
        label="预审驳回，告知申请人原因",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）预审未通过，原因：{reason}。"
            "如有疑问请咨询残联综合窗口。"
        ),
    ),
    # Process versions before the clerk could mark materials tell what the check found only.
    "missing_materials": Template(
        label="材料不全，一次性告知需补充的材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）材料不全。"
            "{materials_result[missing_text]}。补齐后即可继续办理。"
        ),
    ),
    "missing_listed": Template(
        label="材料不全，一次性告知核对出和窗口指出的全部材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）材料不全。"
            "{missing_notice[text]}。补齐后即可继续办理。"
        ),
    ),
    # Process versions before the 复核 path: the text promised a review the process did not offer.
    "not_met": Template(
        label="未达到残疾标准，告知申请人评定结论",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定您未达到残疾标准，本次残疾人证申请（案件号{case_no}）不予办理。"
            "评定结论：{assessment_result[conclusion]}。"
            "如对评定结果有异议，可自收到本通知之日起10个工作日内向残联申请复核。"
        ),
    ),
    "not_met_review": Template(
        label="未达到残疾标准，告知评定结论和申请复核的期限",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定您未达到残疾标准（案件号{case_no}），评定结论：{assessment_result[conclusion]}。"
            "如有异议，可在{review_last_day_text}前（含当日）通过网上办理进度查询页面或到残联综合窗口申请复核，"
            "由评残专家委员会复核；逾期未申请的，本次申请办结，不予办理残疾人证。"
        ),
    ),
    "not_met_final": Template(
        label="复核后重新评定仍未达到残疾标准，告知办结",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评残专家委员会复核后重新评定，您仍未达到残疾标准，"
            "本次残疾人证申请（案件号{case_no}）不予办理。评定结论：{assessment_result[conclusion]}。"
        ),
    ),
    "not_met_review_request": Template(
        label="申请人对未达标准的评定结论申请复核，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}的申请人对“未达到残疾标准”的评定结论申请复核，请评残专家委员会组织复核。",
    ),
    "review_upheld": Template(
        label="复核维持未达标准的结论，告知申请人",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，评残专家委员会已复核您的申请（案件号{case_no}），维持未达到残疾标准的评定结论。"
            "复核意见：{opinion}。本次申请办结。"
        ),
    ),
    "review_reassess": Template(
        label="复核决定重新评定，告知申请人",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，评残专家委员会已复核您的申请（案件号{case_no}），决定由定点医院重新评定，"
            "评定时间和地点将另行短信通知。"
        ),
    ),
    "passed": Template(
        label="评定通过，告知申请人将进行公示",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定已通过（案件号{case_no}），将在您所在村（社区）公示5个工作日，"
            "公示期满无异议后发放残疾人证。"
        ),
    ),
    "publicity_request": Template(
        label="请村（社区）张贴公示",
        recipient_role="village",
        group_field="village",
        text=(
            "请在本村（社区）公示{applicant_name}的残疾人证申请（案件号{case_no}），公示期5个工作日。"
            "公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "objection_received": Template(
        label="公示期内收到异议，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}在公示期内收到异议，请评残专家委员会组织复核。",
    ),
    "issued": Template(
        label="残疾人证已办结，告知证号和发放方式",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的残疾人证已办结，证号{certificate_no}，将以{delivery_text}方式发放。",
    ),
    "assessment_overdue": Template(
        label="评定超过办理时限，催办定点医院",
        recipient_role="hospital",
        group_field="site[group]",
        text="催办：案件号{case_no}的残疾评定已超过10个工作日的办理时限，请尽快完成评定并上传结果。",
    ),
}
