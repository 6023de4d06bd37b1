"""The texts of Shizong's exchange for the third-generation card (processes/shizong/card_exchange.bpmn): the
holders, the townships, the county and the re-assessment."""

from __future__ import annotations

from .template import Template

TEMPLATES: dict[str, Template] = {
    "exchange_invite": Template(
        label="第三代残疾人证已制作，请持证人到乡镇换领",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的第三代残疾人证（智能化）已制作完成，请本人或监护人持第二代残疾人证"
            "到{township_name}残联换领。领取前第二代残疾人证继续有效。"
        ),
    ),
    "reassessment_notice": Template(
        label="告知重新评定的地点和机构",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，换发第三代残疾人证需重新进行残疾评定，请按乡镇(街道)通知的日程到{venue}"
            "参加评定（评定机构：{hospital_name}）。医学辅助检查和照片费用由个人自理，"
            "领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "home_visit_notice": Template(
        label="告知评定医生将上门评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，换发第三代残疾人证需重新进行残疾评定，{hospital_name}的评定医生将上门为您评定，"
            "具体时间另行通知。医学辅助检查和照片费用由个人自理，领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "away_review_request": Template(
        label="在外务工人员异地评定，请县残联收件审核",
        recipient_role="county",
        group_field="county_group",
        text=(
            "案件号{case_no}的持证人{applicant_name}在外务工，将在务工地评残机构评定，"
            "残疾人证申请表和残疾评定表原件邮寄至县残联，请收件后审核。"
        ),
    ),
    "away_rejected": Template(
        label="异地评定不予认可，告知原因和重新评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您在务工地的残疾评定未通过县残联审核，原因：{away_reason}。"
            "请到{venue}参加重新评定（评定机构：{hospital_name}）。"
        ),
    ),
    "reassessed": Template(
        label="告知重新评定结果和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的重新评定结果为{card_category}残疾{card_grade_text}（案件号{case_no}）。"
            "如有异议，可自收到本通知之日起10个工作日内向县残联申请复核，复核费用由申请人承担。"
        ),
    ),
    "objection_accepted": Template(
        label="复核申请已受理，告知费用",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的复核申请已受理（案件号{case_no}），将由评残专家委员会复核评定。"
            "费用：{review_fee_text}。"
        ),
    ),
    "review_request": Template(
        label="持证人对评定结果有异议，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}的持证人对评定结果有异议并申请复核，请评残专家委员会组织复核评定。",
    ),
    "reassessment_publicity": Template(
        label="请村（社区）公示重新评定结果",
        recipient_role="village",
        group_field="village",
        text=(
            "请在本村（社区）公示{applicant_name}的残疾重新评定结果（{card_category}残疾{card_grade_text}，"
            "案件号{case_no}），公示期5个工作日。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "township_publicity": Template(
        label="请乡镇(街道)在辖区内公示评定结果",
        recipient_role="township",
        group_field="township",
        text=(
            "请在本乡镇(街道)辖区内公示{village_name}{applicant_name}的残疾评定结果（{card_category}残疾"
            "{card_grade_text}，案件号{case_no}），公示期5个工作日，并通知本人或监护人。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "township_publicity_not_met": Template(
        label="请乡镇(街道)在辖区内公示评定结果（不符合残疾标准）",
        recipient_role="township",
        group_field="township",
        text=(
            "请在本乡镇(街道)辖区内公示{village_name}{applicant_name}的残疾重新评定结果（不再符合残疾标准，"
            "案件号{case_no}），公示期5个工作日，并通知本人或监护人。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "first_assessment_notice": Template(
        label="告知新评定对象评定医生将上门评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您申请办理残疾人证，{hospital_name}的评定医生将上门为您进行残疾评定，"
            "具体入户时间由{township_name}残联另行通知。医学辅助检查和照片费用由个人自理。"
        ),
    ),
    "first_assessed": Template(
        label="告知新评定对象评定结果和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定结果为{card_category}残疾{card_grade_text}（案件号{case_no}）。"
            "如有异议，可自收到本通知之日起10个工作日内向县残联申请复核，复核费用由申请人承担；"
            "无异议的，经乡镇(街道)公示后为您制发第三代残疾人证。"
        ),
    ),
    "assessed_not_met": Template(
        label="告知评定结果为不符合残疾标准和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定，您目前不符合残疾标准（案件号{case_no}）。如有异议，可自收到本通知之日起"
            "10个工作日内向县残联申请复核，复核费用由申请人承担。"
        ),
    ),
    "first_not_met": Template(
        label="告知新评定对象不予办证",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，经评定您未达到残疾标准，本次不予办理残疾人证（案件号{case_no}）。",
    ),
    "certificate_withdrawn": Template(
        label="告知康复脱残，收回残疾人证",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经重新评定并公示，您已不符合残疾标准（康复脱残），不再换发第三代残疾人证，"
            "原第二代残疾人证（证号{certificate_no}）由{township_name}残联收回注销。"
        ),
    ),
    "first_card_ready": Template(
        label="残疾人证已制作，将由乡镇发放",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的第三代残疾人证已制作（证号{card_no}），将由{township_name}残联送达发放。",
    ),
    "first_card_issued": Template(
        label="残疾人证已发放",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您已领取第三代残疾人证（证号{card_no}），有效期10年。",
    ),
    "appointment_moved": Template(
        label="评定时间改期，告知新的时间和地点",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，因{appointment_move[reason]}，您的残疾评定时间改为{appointment_move[day_text]}，"
            "地点：{appointment_move[place]}（案件号{case_no}）。领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "card_mismatch": Template(
        label="换证核验不符，报县残联核实并重新制卡",
        recipient_role="county",
        group_field="county_group",
        text="案件号{case_no}换证核验不符：{verification_note}。预制的第三代残疾人证须作废，请核实后重新制卡。",
    ),
    "new_card_ready": Template(
        label="新卡已制作，请持证人到乡镇领取",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的第三代残疾人证已重新制作（证号{card_no}），请持第二代残疾人证到{township_name}残联领取。",
    ),
    "exchanged": Template(
        label="第三代残疾人证已领取",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您已领取第三代残疾人证（证号{card_no}），第二代残疾人证自即日起停止使用。",
    ),
}
